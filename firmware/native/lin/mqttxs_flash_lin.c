/*
 * mqtt-xs (MIT license): the flash of a `mcconfig -p lin` build, a file with NOR semantics, so the desktop
 * build runs the device's store as the Pico does (mqttxs_flash.h). "storage" is the file named by the
 * environment variable MQTTXS_FLASH, or mqtt-xs-storage.flash in $TMPDIR (or /tmp): it outlives the
 * simulator's process, so the next run over it is the device's next boot. Its size is the Pico's storage
 * area's, MODDEF_FILE_LFS_PARTITION_SIZE (the SDK's default: 65,536 bytes); a new file is created erased
 * (0xFF), a shorter one is extended with 0xFF. As on the chip: an erase sets a whole sector to 0xFF; a
 * write only clears bits; one that would set a bit is refused whole (the chip would AND it in silently:
 * the simulator says so, to catch a store relying on it). What a completed write or erase did is in the
 * file when the process dies (the kernel's page cache); a cut within one write is host-sim's to simulate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "mqttxs_flash.h"

#if defined(__has_include)
	#if __has_include("mc.defines.h")
		#include "mc.defines.h"
	#endif
#endif

#ifndef MODDEF_FILE_LFS_PARTITION_SIZE
	#define MODDEF_FILE_LFS_PARTITION_SIZE (65536)
#endif

#define kAreaSize ((uint32_t)(((MODDEF_FILE_LFS_PARTITION_SIZE) / MQTTXS_FLASH_SECTOR_SIZE) * MQTTXS_FLASH_SECTOR_SIZE))
#define kChunk 256

/* The file stays open for the process: one flash, as on a device. */
static int gFile = -1;
static char gWhy[112];

static const char *failed(const char *what)
{
	snprintf(gWhy, sizeof(gWhy), "%s (%s)", what, strerror(errno));
	return gWhy;
}

static const char *readFully(uint32_t address, uint32_t length, uint8_t *into)
{
	while (length) {
		ssize_t got = pread(gFile, into, length, (off_t)address);
		if (got < 0) {
			if (EINTR == errno)
				continue;
			return failed("the flash file cannot be read");
		}
		if (0 == got) {
			errno = EIO;
			return failed("the flash file is shorter than the area");
		}
		into += got;
		address += (uint32_t)got;
		length -= (uint32_t)got;
	}
	return NULL;
}

static const char *writeFully(uint32_t address, uint32_t length, const uint8_t *from)
{
	while (length) {
		ssize_t put = pwrite(gFile, from, length, (off_t)address);
		if (put < 0) {
			if (EINTR == errno)
				continue;
			return failed("the flash file cannot be written");
		}
		from += put;
		address += (uint32_t)put;
		length -= (uint32_t)put;
	}
	return NULL;
}

static const char *fill(uint32_t address, uint32_t length)
{
	uint8_t erased[kChunk];
	memset(erased, 0xFF, sizeof(erased));
	while (length) {
		uint32_t use = (length < kChunk) ? length : kChunk;
		const char *why = writeFully(address, use, erased);
		if (why)
			return why;
		address += use;
		length -= use;
	}
	return NULL;
}

const char *mqttxs_flash_platform_open(const char *name, mqttxs_flash_area *area)
{
	if (0 != strcmp(name, "storage"))
		return "no such partition: this build has \"storage\" only";
	if (gFile < 0) {
		char path[512];
		const char *chosen = getenv("MQTTXS_FLASH");
		struct stat status;
		int file;
		if (!chosen || !*chosen) {
			const char *folder = getenv("TMPDIR");
			snprintf(path, sizeof(path), "%s/mqtt-xs-storage.flash", (folder && *folder) ? folder : "/tmp");
			chosen = path;
		}
		file = open(chosen, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (file < 0)
			return failed("the flash file (MQTTXS_FLASH) cannot be opened");
		if (fstat(file, &status) < 0) {
			const char *why = failed("the flash file cannot be read");
			close(file);
			return why;
		}
		gFile = file;
		if ((uint64_t)status.st_size < kAreaSize) {
			const char *why = fill((uint32_t)status.st_size, kAreaSize - (uint32_t)status.st_size);
			if (why) {
				gFile = -1;
				close(file);
				return why;
			}
		}
	}
	area->start = 0;
	area->size = kAreaSize;
	return NULL;
}

const char *mqttxs_flash_platform_read(uint32_t address, uint32_t length, void *into)
{
	return readFully(address, length, into);
}

const char *mqttxs_flash_platform_write(uint32_t address, uint32_t length, const void *from)
{
	const uint8_t *bytes = from;
	uint8_t now[kChunk];
	uint32_t at;

	/* Refused whole, before a byte is written, if it would set a bit (0 -> 1) only an erase sets. */
	for (at = 0; at < length; at += kChunk) {
		uint32_t use = ((length - at) < kChunk) ? (length - at) : kChunk, i;
		const char *why = readFully(address + at, use, now);
		if (why)
			return why;
		for (i = 0; i < use; i++) {
			if (bytes[at + i] & ~now[i] & 0xFF) {
				snprintf(gWhy, sizeof(gWhy), "a bit would go from 0 to 1 at offset %u (erase first)", (unsigned)(address + at + i));
				return gWhy;
			}
		}
	}
	return writeFully(address, length, bytes);
}

const char *mqttxs_flash_platform_erase(uint32_t address, uint32_t length)
{
	if ((address % MQTTXS_FLASH_SECTOR_SIZE) || (length % MQTTXS_FLASH_SECTOR_SIZE))
		return "an erase takes whole sectors";
	return fill(address, length);
}

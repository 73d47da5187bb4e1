/*
 * Drives firmware/native/lin/mqttxs_flash_lin.c (the lin build's flash: a file with NOR semantics) through
 * the four functions mqttxs_flash.h declares, with no XS: test/native/flash-lin.test.ts compiles it with
 * the host's cc and runs it over a file named by MQTTXS_FLASH, as a first boot ("fresh"), a second boot
 * over the same file ("again"), and over a file shorter than the area ("short"). One line per check;
 * exit 1 at the first that fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttxs_flash.h"

static int failed = 0;

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failed = 1;
}

static int all(const uint8_t *bytes, uint32_t length, uint8_t value)
{
	uint32_t i;
	for (i = 0; i < length; i++)
		if (bytes[i] != value)
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	static uint8_t sector[MQTTXS_FLASH_SECTOR_SIZE];
	mqttxs_flash_area area;
	const char *why, *mode = (argc > 1) ? argv[1] : "fresh";
	uint8_t bytes[4];

	why = mqttxs_flash_platform_open("nvs", &area);
	check(why && strstr(why, "no such partition: this build has \"storage\" only"), "open(\"nvs\") is refused with words");
	why = mqttxs_flash_platform_open("storage", &area);
	check(!why && (0 == area.start) && (65536 == area.size), "open(\"storage\"): 65,536 bytes from 0");
	if (why)
		return 1;

	if (0 == strcmp(mode, "fresh")) {
		check(!mqttxs_flash_platform_read(0, sizeof(sector), sector) && all(sector, sizeof(sector), 0xFF), "a new file reads erased (0xFF)");
		check(!mqttxs_flash_platform_write(4096 + 8, 4, (const uint8_t[]){0xF0, 0x0F, 0x00, 0xFF}), "a write to erased bytes");
		check(!mqttxs_flash_platform_write(4096 + 8, 2, (const uint8_t[]){0x30, 0x03}), "a write that only clears bits");
		check(!mqttxs_flash_platform_read(4096 + 8, 4, bytes) && (0x30 == bytes[0]) && (0x03 == bytes[1]) && (0x00 == bytes[2]) && (0xFF == bytes[3]), "reads back what was programmed");
		why = mqttxs_flash_platform_write(4096 + 8, 1, (const uint8_t[]){0x70});
		check(why && strstr(why, "a bit would go from 0 to 1 at offset 4104 (erase first)"), "a write that would set a bit is refused with words");
		check(!mqttxs_flash_platform_read(4096 + 8, 1, bytes) && (0x30 == bytes[0]), "the refused write left the byte as it was");
		why = mqttxs_flash_platform_erase(100, 4096);
		check(why && strstr(why, "whole sectors"), "an erase of part of a sector is refused");
		check(!mqttxs_flash_platform_erase(4096, 4096) && !mqttxs_flash_platform_read(4096, sizeof(sector), sector) && all(sector, sizeof(sector), 0xFF), "an erase sets the whole sector to 0xFF");
		check(!mqttxs_flash_platform_write(65532, 4, (const uint8_t[]){'B', 'O', 'O', 'T'}), "a write at the area's last bytes");
	}
	else if (0 == strcmp(mode, "again")) {
		check(!mqttxs_flash_platform_read(65532, 4, bytes) && (0 == memcmp(bytes, "BOOT", 4)), "the next process reads what the last one wrote");
		check(!mqttxs_flash_platform_read(4096, sizeof(sector), sector) && all(sector, sizeof(sector), 0xFF), "and what it erased");
	}
	else if (0 == strcmp(mode, "short")) {
		check(!mqttxs_flash_platform_read(0, 100, sector) && all(sector, 100, 0x00), "a shorter file keeps its bytes");
		check(!mqttxs_flash_platform_read(100, 4096, sector) && all(sector, 4096, 0xFF), "and is extended erased (0xFF)");
	}
	return failed;
}

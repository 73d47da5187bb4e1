/*
 * mqtt-xs (MIT license): the flash of a Pico build (RP2040, RP2350), over the Moddable SDK's Pico host
 * (xs/platforms/pico/xsHost.h). "storage" is the SDK's storage area: modGetPartition(kPartitionStorage)
 * places it at the end of the flash the app does not use, below the preferences, MODDEF_FILE_LFS_PARTITION_SIZE
 * bytes (65,536 by default), or none when there is no room. The SDK's littlefs (the `file` module) uses the
 * same area: a build has one or the other. modSPIRead copies from the flash's XIP window; modSPIWrite
 * programs through the pico-sdk's flash_range_program, with interrupts off, padding to its 256-byte pages
 * with 0xFF (which leaves those bytes as they are); modSPIErase erases whole 4,096-byte sectors. Addresses
 * are offsets from the flash's start.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mqttxs_flash.h"

#if FLASH_SECTOR_SIZE != MQTTXS_FLASH_SECTOR_SIZE
	#error "the flash's sector (FLASH_SECTOR_SIZE) is not the 4,096 bytes mqttxs_flash.h says"
#endif

const char *mqttxs_flash_platform_open(const char *name, mqttxs_flash_area *area)
{
	uint32_t start = 0, size = 0;

	if (0 != c_strcmp(name, "storage"))
		return "no such partition: this build has \"storage\" only";
	if (!modSPIFlashInit())
		return "the flash did not start";
	if (!modGetPartition(kPartitionStorage, &start, &size))
		return "the SDK gives no storage area";
	if (0 == size)
		return "the storage area is empty: no room below the preferences (MODDEF_FILE_LFS_PARTITION_SIZE)";
	if ((start % MQTTXS_FLASH_SECTOR_SIZE) || (size % MQTTXS_FLASH_SECTOR_SIZE))
		return "the storage area is not whole sectors";
	area->start = start;
	area->size = size;
	return NULL;
}

const char *mqttxs_flash_platform_read(uint32_t address, uint32_t length, void *into)
{
	return modSPIRead(address, length, into) ? NULL : "the flash refused the read";
}

const char *mqttxs_flash_platform_write(uint32_t address, uint32_t length, const void *from)
{
	return modSPIWrite(address, length, from) ? NULL : "the flash refused the write";
}

const char *mqttxs_flash_platform_erase(uint32_t address, uint32_t length)
{
	return modSPIErase(address, length) ? NULL : "the flash refused the erase";
}

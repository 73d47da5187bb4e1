/*
 * mqtt-xs (MIT license): the `flash` module where the Moddable SDK has none (its modules/files/flash
 * builds for esp, esp32 and nrf52 only). The same API as the SDK's (new Flash("storage"), erase, read,
 * readString, write, byteLength, blockSize), our own code: mqttxs_flash.c binds it to XS and checks every
 * argument; a platform file does the flash's own work through the four functions below:
 *   pico/mqttxs_flash_pico.c  the SDK's "storage" area of the RP2040's flash (modGetPartition, modSPI*)
 *   lin/mqttxs_flash_lin.c    a file with NOR semantics, for `mcconfig -p lin` builds
 * The platform functions answer NULL when done, or words saying what went wrong (thrown as an Error).
 */
#ifndef MQTTXS_FLASH_H
#define MQTTXS_FLASH_H

#include <stdint.h>

/* The area a Flash instance opened: its first byte in the platform's address space, and its bytes. */
typedef struct {
	uint32_t start;
	uint32_t size;
} mqttxs_flash_area;

/* The erase unit, in bytes: what `blockSize` answers and `erase(sector)` clears. */
#define MQTTXS_FLASH_SECTOR_SIZE 4096

/* Opens the area named `name` ("storage"): fills `area`, or answers why not. */
const char *mqttxs_flash_platform_open(const char *name, mqttxs_flash_area *area);

/* Copies `length` bytes at `address` into `into`. */
const char *mqttxs_flash_platform_read(uint32_t address, uint32_t length, void *into);

/* Programs `length` bytes of `from` at `address`: NOR, so a write can only clear bits. */
const char *mqttxs_flash_platform_write(uint32_t address, uint32_t length, const void *from);

/* Erases `length` bytes at `address` (whole sectors, both aligned) to 0xFF. */
const char *mqttxs_flash_platform_erase(uint32_t address, uint32_t length);

#endif

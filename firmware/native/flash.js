/*
 * mqtt-xs (MIT license): the module `flash` for the Pico and lin builds, where the Moddable SDK's
 * modules/files/flash has no build (it has esp, esp32 and nrf52). The SDK's class and names, so
 * firmware/store-device-flash.ts runs unchanged on all three; natives in mqttxs_flash.c.
 *   new Flash("storage")            the platform's data area (Pico: the SDK's storage area; lin: a file)
 *   erase(sector)                   a sector to 0xFF
 *   read(offset, byteLength)        a new ArrayBuffer
 *   write(offset, byteLength, buf)  the first byteLength bytes of an ArrayBuffer, Uint8Array or DataView
 *   byteLength, blockSize           the area's bytes; the erase sector (4,096)
 * The SDK's readString() and map() are left out: the store uses neither.
 */
class Flash @ "xs_mqttxs_flash_destructor" {
	constructor(partition) @ "xs_mqttxs_flash";
	erase(sector) @ "xs_mqttxs_flash_erase";
	read(offset, byteLength) @ "xs_mqttxs_flash_read";
	write(offset, byteLength, buffer) @ "xs_mqttxs_flash_write";
	get byteLength() @ "xs_mqttxs_flash_byteLength";
	get blockSize() @ "xs_mqttxs_flash_blockSize";
}

export default Flash;

/*
 * mqtt-xs (MIT license): the `flash` module's binding to XS (firmware/native/flash.js declares the class),
 * for the platforms where the Moddable SDK has no flash module (see mqttxs_flash.h). Every argument is
 * checked before the flash is touched: a wrong type throws a TypeError, an integer out of the area a
 * RangeError, each naming the call and the argument; what the flash itself refuses throws an Error with
 * the platform's words. Offsets and sectors count from the start of the area the constructor opened.
 */
#include "xsmc.h"
#include "mqttxs_flash.h"

/* The instance's area lives in its host chunk (no system heap); the flash itself needs no closing. */
void xs_mqttxs_flash_destructor(void *data)
{
	(void)data;
}

static const char *typeName(xsMachine *the, xsSlot *slot)
{
	switch (xsmcTypeOf(*slot)) {
	case xsUndefinedType: return "undefined";
	case xsNullType: return "null";
	case xsBooleanType: return "a boolean";
	case xsIntegerType:
	case xsNumberType: return "a number";
	case xsStringType:
	case xsStringXType: return "a string";
	case xsSymbolType: return "a symbol";
	case xsBigIntType:
	case xsBigIntXType: return "a bigint";
	default: return "an object";
	}
}

static void needArguments(xsMachine *the, xsIntegerValue count, const char *call)
{
	if (xsmcArgc < count)
		xsTypeError("%s takes %d arguments, not %d", call, (int)count, (int)xsmcArgc);
}

/* Argument `index` as an integer from 0 to 2^32 - 1: a whole number, not a string or NaN. */
static uint32_t argumentIndex(xsMachine *the, xsIntegerValue index, const char *call, const char *name)
{
	xsType type = xsmcTypeOf(xsArg(index));
	if (xsIntegerType == type) {
		xsIntegerValue value = xsmcToInteger(xsArg(index));
		if (value < 0)
			xsRangeError("%s: %s must be 0 or more, not %d", call, name, (int)value);
		return (uint32_t)value;
	}
	if (xsNumberType == type) {
		xsNumberValue value = xsmcToNumber(xsArg(index));
		if (!(value >= 0) || (value > 4294967295.0))	/* NaN, negative, infinite, too large */
			xsRangeError("%s: %s must be an integer from 0 to 4294967295", call, name);
		if (value != (xsNumberValue)(uint32_t)value)
			xsRangeError("%s: %s must be a whole number", call, name);
		return (uint32_t)value;
	}
	xsTypeError("%s: %s must be a number, not %s", call, name, typeName(the, &xsArg(index)));
	return 0;
}

/* `length` bytes at `offset` must lie inside the area. */
static void checkRange(xsMachine *the, const char *call, const mqttxs_flash_area *area, uint32_t offset, uint32_t length)
{
	if (offset > area->size)
		xsRangeError("%s: offset %u is past the end of the area (%u bytes)", call, (unsigned)offset, (unsigned)area->size);
	if (length > area->size - offset)
		xsRangeError("%s: %u bytes at offset %u go past the end of the area (%u bytes)", call, (unsigned)length, (unsigned)offset, (unsigned)area->size);
}

/* The area `this` opened; a SyntaxError from XS if `this` is not a Flash. */
static mqttxs_flash_area thisArea(xsMachine *the)
{
	return *(mqttxs_flash_area *)xsmcGetHostChunkValidate(xsThis, xs_mqttxs_flash_destructor);
}

/* new Flash(partition): "storage", the platform's area for data (see the platform file). */
void xs_mqttxs_flash(xsMachine *the)
{
	mqttxs_flash_area area;
	const char *why;
	xsType type;

	needArguments(the, 1, "new Flash(partition)");
	type = xsmcTypeOf(xsArg(0));
	if ((xsStringType != type) && (xsStringXType != type))
		xsTypeError("new Flash(partition): partition must be a string (\"storage\"), not %s", typeName(the, &xsArg(0)));
	why = mqttxs_flash_platform_open(xsmcToString(xsArg(0)), &area);
	if (why)
		xsUnknownError("new Flash(\"%.24s\"): %s", xsmcToString(xsArg(0)), why);
	xsmcSetHostChunk(xsThis, &area, sizeof(area));
}

/* erase(sector): the sector's bytes to 0xFF. */
void xs_mqttxs_flash_erase(xsMachine *the)
{
	mqttxs_flash_area area = thisArea(the);
	uint32_t sector, sectors = area.size / MQTTXS_FLASH_SECTOR_SIZE;
	const char *why;

	needArguments(the, 1, "flash.erase(sector)");
	sector = argumentIndex(the, 0, "flash.erase", "sector");
	if (sector >= sectors)
		xsRangeError("flash.erase: sector %u is past the end of the area (sectors 0 to %u)", (unsigned)sector, (unsigned)(sectors - 1));
	why = mqttxs_flash_platform_erase(area.start + sector * MQTTXS_FLASH_SECTOR_SIZE, MQTTXS_FLASH_SECTOR_SIZE);
	if (why)
		xsUnknownError("flash.erase: sector %u: %s", (unsigned)sector, why);
}

/* read(offset, byteLength): a new ArrayBuffer with the bytes. */
void xs_mqttxs_flash_read(xsMachine *the)
{
	mqttxs_flash_area area = thisArea(the);
	uint32_t offset, length;
	const char *why;

	needArguments(the, 2, "flash.read(offset, byteLength)");
	offset = argumentIndex(the, 0, "flash.read", "offset");
	length = argumentIndex(the, 1, "flash.read", "byteLength");
	checkRange(the, "flash.read", &area, offset, length);
	xsmcSetArrayBuffer(xsResult, NULL, length);
	if (0 == length)
		return;
	why = mqttxs_flash_platform_read(area.start + offset, length, xsmcToArrayBuffer(xsResult));
	if (why)
		xsUnknownError("flash.read: %u bytes at offset %u: %s", (unsigned)length, (unsigned)offset, why);
}

/*
 * write(offset, byteLength, buffer): programs the first byteLength bytes of buffer (an ArrayBuffer, or
 * the bytes a Uint8Array or DataView views) at offset. NOR: bits only go from 1 to 0; erase first.
 */
void xs_mqttxs_flash_write(xsMachine *the)
{
	mqttxs_flash_area area = thisArea(the);
	uint32_t offset, length;
	void *data;
	xsUnsignedValue count;
	const char *why;

	needArguments(the, 3, "flash.write(offset, byteLength, buffer)");
	offset = argumentIndex(the, 0, "flash.write", "offset");
	length = argumentIndex(the, 1, "flash.write", "byteLength");
	checkRange(the, "flash.write", &area, offset, length);
	/* XS's own words for a wrong buffer are "invalid buffer": ask first, then say what is wanted. */
	xsTry {
		xsmcGetBufferReadable(xsArg(2), &data, &count);
	}
	xsCatch {
		xsTypeError("flash.write: buffer must be an ArrayBuffer, a Uint8Array or a DataView, not %s", typeName(the, &xsArg(2)));
	}
	xsmcGetBufferReadable(xsArg(2), &data, &count);
	if (count < length)
		xsRangeError("flash.write: byteLength %u is more than the buffer's %u bytes", (unsigned)length, (unsigned)count);
	if (0 == length)
		return;
	/* No XS allocation from here on: data (in the XS heap) stays where it is. */
	why = mqttxs_flash_platform_write(area.start + offset, length, data);
	if (why)
		xsUnknownError("flash.write: %u bytes at offset %u: %s", (unsigned)length, (unsigned)offset, why);
}

void xs_mqttxs_flash_byteLength(xsMachine *the)
{
	mqttxs_flash_area area = thisArea(the);
	xsmcSetInteger(xsResult, (xsIntegerValue)area.size);
}

void xs_mqttxs_flash_blockSize(xsMachine *the)
{
	(void)thisArea(the);
	xsmcSetInteger(xsResult, MQTTXS_FLASH_SECTOR_SIZE);
}

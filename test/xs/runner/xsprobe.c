/*
 * xsprobe.c: two host functions that expose XS's own allocation and metering counters to JavaScript,
 * so tests can prove a code path allocates nothing. Compiled as an extra object next to a copy of
 * xsnap.c (scripts/build-xs-runner.mjs); it includes xsAll.h, not xsnap.h, because only the engine's
 * private header describes txMachine (and the two headers disagree on what xsMachine is).
 *
 *   probeReset()    full, compacting GC, then peak counters := current counters.
 *   probeRead(out)  out: a Float64Array of at least 5 elements, filled with
 *                   [currentHeapCount, peakHeapCount, currentChunksSize, peakChunksSize, meterIndex].
 *
 * probeRead writes straight into the array's backing store: going through xsSetIndex would be fine too,
 * but this way the probe provably touches neither the slot heap nor the chunk heap.
 */
#include "xsAll.h"
#include "xs.h" /* after xsAll.h, so its xsMachine is txMachine; for the xsDefine/xsID macros */

static void xsprobe_reset(txMachine* the)
{
	if (!(the->collectFlag & XS_COLLECTING_FLAG))
		mxTypeError("probeReset: garbage collection is disabled");
	/* Same as xsCollectGarbage(): mark, sweep and compact chunks, so both counters are exact. */
	fxCollect(the, XS_COMPACT_FLAG);
	the->peakHeapCount = the->currentHeapCount;
	the->peakChunksSize = the->currentChunksSize;
}

static void xsprobe_read(txMachine* the)
{
	txSlot* slot;
	txSlot* view;
	txSlot* arrayBuffer;
	txNumber values[5];
	txInteger size;

	if (mxArgc < 1)
		mxTypeError("probeRead: expected a Float64Array");
	slot = mxArgv(0);
	if (slot->kind != XS_REFERENCE_KIND)
		mxTypeError("probeRead: expected a Float64Array");
	slot = slot->value.reference->next;
	if (!slot || !(slot->flag & XS_INTERNAL_FLAG) || (slot->kind != XS_TYPED_ARRAY_KIND)
			|| (slot->value.typedArray.dispatch->constructorID != _Float64Array))
		mxTypeError("probeRead: expected a Float64Array");
	view = slot->next;
	arrayBuffer = view->next->value.reference->next;
	if ((arrayBuffer->kind != XS_ARRAY_BUFFER_KIND) || (arrayBuffer->value.arrayBuffer.address == C_NULL))
		mxTypeError("probeRead: expected a Float64Array over a live ArrayBuffer");
	size = fxGetDataViewSize(the, view, view->next);
	if (size < (txInteger)sizeof(values))
		mxTypeError("probeRead: the Float64Array needs 5 elements");

	values[0] = (txNumber)the->currentHeapCount;
	values[1] = (txNumber)the->peakHeapCount;
	values[2] = (txNumber)the->currentChunksSize;
	values[3] = (txNumber)the->peakChunksSize;
#ifdef mxMetering
	values[4] = (txNumber)the->meterIndex;
#else
	values[4] = -1;
#endif
	/* memcpy: the backing store is not guaranteed to be 8-byte aligned. */
	c_memcpy(arrayBuffer->value.arrayBuffer.address + view->value.dataView.offset, values, sizeof(values));
}

/* Called from the patched xsBuildAgent, inside its xsBeginHost block. */
void xsprobeInstall(txMachine* the)
{
	xsResult = xsNewHostFunction(xsprobe_reset, 0);
	xsDefine(xsGlobal, xsID("probeReset"), xsResult, xsDontEnum);
	xsResult = xsNewHostFunction(xsprobe_read, 1);
	xsDefine(xsGlobal, xsID("probeRead"), xsResult, xsDontEnum);
}

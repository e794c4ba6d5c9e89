/*
 * XS memory figures for the lin host build: what the machine holds now and at its peak. Slots are
 * counted, not bytes, so the figures convert to a board by its slot size (16 bytes on ESP, 32 on
 * a 64-bit host). The stack high-water mark and GC count exist only in instrumented builds
 * (`mcconfig -i`); otherwise they are -1. The stack mark is reset by each call: it covers the time
 * since the previous one.
 */
#include "xsAll.h"
#include "xsmc.h"

void xs_wakelink_memory(xsMachine *the)
{
	xsmcVars(1);
	xsResult = xsmcNewObject();
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->currentHeapCount);
	xsmcSet(xsResult, xsID("slots"), xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->peakHeapCount);
	xsmcSet(xsResult, xsID("peakSlots"), xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->currentChunksSize);
	xsmcSet(xsResult, xsID("chunkBytes"), xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->peakChunksSize);
	xsmcSet(xsResult, xsID("peakChunkBytes"), xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)(the->stackTop - the->stackBottom));
	xsmcSet(xsResult, xsID("stackSlots"), xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)sizeof(txSlot));
	xsmcSet(xsResult, xsID("slotBytes"), xsVar(0));
#ifdef mxInstrument
	xsmcSetInteger(xsVar(0), (xsIntegerValue)(the->stackTop - the->stackPeak));
	xsmcSet(xsResult, xsID("peakStackSlots"), xsVar(0));
	/* The next call reports the high-water mark since this one, so each phase can be told apart. */
	the->stackPeak = the->stack;
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->garbageCollectionCount);
	xsmcSet(xsResult, xsID("gcCount"), xsVar(0));
#else
	xsmcSetInteger(xsVar(0), -1);
	xsmcSet(xsResult, xsID("peakStackSlots"), xsVar(0));
	xsmcSet(xsResult, xsID("gcCount"), xsVar(0));
#endif
}

/* Stack slots in use at the moment of the call (for finding deep call paths). */
void xs_wakelink_stack_depth(xsMachine *the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)(the->stackTop - the->stack));
}

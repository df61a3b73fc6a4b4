import { SCRATCH_MIN_BYTES } from './abi';

// Static memory (not on the GC heap), so its address is fixed for the instance's lifetime and the host may
// write the init record there before qt_init. Zero-initialised memory is not emitted into the binary.
export const SCRATCH_BYTES: i32 = SCRATCH_MIN_BYTES;
export const SCRATCH: usize = memory.data(SCRATCH_MIN_BYTES, 16);

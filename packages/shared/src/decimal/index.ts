// Filled by the decimal work (fixed-point helpers); see decimal/README in the code comments.
export {};

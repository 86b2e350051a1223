package dev.tropism.engine.hf;

/**
 * The safetensors element types Tropism reads (the format's names: {@code F32}, {@code F16}, {@code BF16}). Every
 * tensor becomes float32 in memory: F16 through PyTorch, BF16 widened in Java, because DJL 0.36's PyTorch JNI has no
 * bfloat16 case and aborts the JVM on one (see {@code shared/MODELS-NOTES.md}).
 */
public enum Dtype {
    F32(4),
    F16(2),
    BF16(2);

    private final int bytes;

    Dtype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /**
     * The dtype named {@code name} in {@code file}'s header for {@code tensor}.
     *
     * @throws ModelFormatException for any other dtype (F64, integer and 8-bit types), saying which are accepted
     */
    static Dtype parse(String name, String file, String tensor) throws ModelFormatException {
        for (Dtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new ModelFormatException(file + ": tensor '" + tensor + "' has dtype " + name
                + ", which is not supported; save the weights as F32, F16 or BF16");
    }

    /**
     * bfloat16 bits of {@code f}, rounded to nearest even (what {@code torch.Tensor.to(torch.bfloat16)} does); NaN
     * stays a quiet NaN.
     */
    static short bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The float whose upper 16 bits are {@code bits}: bfloat16 is float32 with the low mantissa bits dropped. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}

package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.tropism.engine.nn.HostArrays;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Writes named arrays as one {@code .safetensors} file (the layout {@link Safetensors} reads): the JSON header padded
 * with spaces to a multiple of 8 bytes, as the reference implementation pads it, then each tensor's little-endian
 * bytes in map order. F32 is what export writes; F16 and BF16 let tests produce the checkpoints that real
 * models ship. One tensor at a time is held in memory.
 */
public final class SafetensorsWriter {

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} (any float type, converted to {@code dtype}) to {@code file}, replacing it.
     *
     * @param metadata the header's {@code __metadata__}; HF writers put {@code format: pt} there
     */
    public static void write(Path file, Map<String, NDArray> tensors, Dtype dtype, Map<String, String> metadata)
            throws IOException {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            long bytes = e.getValue().size() * dtype.bytes();
            JsonObject t = new JsonObject();
            t.addProperty("dtype", dtype.name());
            JsonArray shape = new JsonArray();
            for (long dim : e.getValue().getShape().getShape()) {
                shape.add(dim);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            t.add("data_offsets", offsets);
            header.add(e.getKey(), t);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, head);
            for (NDArray a : tensors.values()) {
                writeFully(out, bytes(a, dtype));
            }
        }
    }

    private static ByteBuffer bytes(NDArray a, Dtype dtype) {
        ByteBuffer out = switch (dtype) {
            case F32 -> toBytes(a, DataType.FLOAT32);
            case F16 -> toBytes(a, DataType.FLOAT16);
            case BF16 -> {
                // Narrowed in Java: a BFLOAT16 NDArray aborts the JVM in DJL 0.36.
                FloatBuffer f = toBytes(a, DataType.FLOAT32).asFloatBuffer();
                ByteBuffer b = ByteBuffer.allocate(f.remaining() * 2).order(ByteOrder.LITTLE_ENDIAN);
                while (f.hasRemaining()) {
                    b.putShort(Dtype.bf16Bits(f.get()));
                }
                yield b.flip();
            }
        };
        return out.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The bytes of {@code a} as {@code type}, through a host copy freed at once when {@code a} is on a GPU. */
    private static ByteBuffer toBytes(NDArray a, DataType type) {
        if (a.getDataType() == type) {
            return HostArrays.bytes(a).order(ByteOrder.LITTLE_ENDIAN);
        }
        try (NDArray converted = a.toType(type, false)) {
            return HostArrays.bytes(converted).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}

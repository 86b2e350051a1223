package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, read without holding it on the heap (format: huggingface/safetensors, README
 * "Format"): an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to its
 * {@code dtype}, {@code shape} and {@code data_offsets} [begin, end) relative to the data section, and the data
 * section itself. {@link #open} parses and checks the whole header before any tensor is read; {@link #read} maps one
 * tensor's bytes ({@link FileChannel#map}) and copies them into an owned float32 {@link NDArray}.
 *
 * <p>The header is checked as strictly as the reference implementation checks it, so a file that lies gives a
 * {@link ModelFormatException} naming the file and tensor, never a native crash or a read past the file: the header
 * length is positive, at most 100 MB and inside the file; every entry has a known dtype, non-negative integer
 * dimensions and offsets; its byte length is product(shape) × dtype size; and the entries, sorted by offset, tile
 * the data section exactly (no overlap, no hole, nothing past the end, nothing left over).
 */
public final class Safetensors implements AutoCloseable {

    /** The reference implementation's cap on the header (safetensors' {@code MAX_HEADER_SIZE}). */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The largest tensor one mapping (and DJL's int-sized buffers) can take. */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;
    /** bfloat16 values widened per chunk, so a large BF16 tensor needs no equally large direct buffer. */
    static final int BF16_CHUNK = 1 << 22;

    /** One header entry: where a tensor's bytes lie, relative to the start of the data section. */
    public record Entry(String name, Dtype dtype, Shape shape, long begin, long end) {
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private Safetensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /**
     * Opens {@code file} and validates its header.
     *
     * @throws ModelFormatException when the header is malformed or inconsistent with the file
     * @throws IOException when the file cannot be read
     */
    public static Safetensors open(Path file) throws ModelFormatException, IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            String where = file.getFileName().toString();
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(where + ": " + size + " bytes is too short for a safetensors file "
                        + "(truncated upload?)");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long n = len.getLong(0);
            if (n <= 0 || n > MAX_HEADER_BYTES || n > size - 8) {
                throw new ModelFormatException(where + ": header length " + Long.toUnsignedString(n)
                        + " is not in (0, min(100 MB, " + (size - 8) + " bytes after the length field)]; "
                        + "the file is truncated or not safetensors");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(where, decode(where, header), metadata);
            checkTiling(where, entries, size - 8 - n);
            Safetensors s = new Safetensors(file, ch, 8 + n, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata));
            ch = null; // owned by s now
            return s;
        } finally {
            if (ch != null) {
                ch.close();
            }
        }
    }

    /** The file this reader maps. */
    public Path file() {
        return file;
    }

    /** Every tensor of the header, in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The header's {@code __metadata__} (e.g. {@code format: pt}); empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Tensor {@code name} as an owned float32 array in {@code manager} (F16 converted by PyTorch, BF16 widened in
     * Java). Nothing of the file stays referenced once this returns (a test overwrites the file and reads on).
     *
     * @throws ModelFormatException when the file has no such tensor
     */
    public NDArray read(String name, NDManager manager) throws ModelFormatException, IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(file.getFileName() + " has no tensor '" + name + "'");
        }
        long bytes = e.end() - e.begin();
        if (bytes == 0) {
            return manager.zeros(e.shape(), DataType.FLOAT32);
        }
        MappedByteBuffer data = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), bytes);
        data.order(ByteOrder.LITTLE_ENDIAN);
        return switch (e.dtype()) {
            case F32 -> owned(manager.create(data, e.shape(), DataType.FLOAT32));
            case F16 -> owned(manager.create(data, e.shape(), DataType.FLOAT16));
            case BF16 -> widenBf16(data, e.shape(), manager);
        };
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /**
     * A float32 copy that owns its memory; the view over the mapped (or scratch) buffer is closed. A float32 view is
     * cloned ({@code duplicate}): {@code toType(FLOAT32, true)} on a float32 array returns an array over the same
     * memory in DJL 0.36, which would keep pointing into the mapping after it is gone.
     */
    private static NDArray owned(NDArray view) {
        try (view) {
            return view.getDataType() == DataType.FLOAT32 ? view.duplicate() : view.toType(DataType.FLOAT32, false);
        }
    }

    /**
     * bfloat16 → float32 in Java ({@code bits << 16}), one chunk at a time through a reused direct buffer: creating
     * a BFLOAT16 array in DJL 0.36 aborts the JVM.
     */
    private static NDArray widenBf16(MappedByteBuffer src, Shape shape, NDManager manager) {
        long n = shape.size();
        ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(n, BF16_CHUNK) * 4).order(ByteOrder.nativeOrder());
        NDList parts = new NDList();
        try {
            for (long from = 0; from < n; from += BF16_CHUNK) {
                int len = (int) Math.min(BF16_CHUNK, n - from);
                chunk.clear();
                for (int i = 0; i < len; i++) {
                    chunk.putFloat(Dtype.bf16ToFloat(src.getShort((int) ((from + i) * 2))));
                }
                chunk.flip();
                parts.add(owned(manager.create(chunk, new Shape(len), DataType.FLOAT32)));
            }
            NDArray flat = parts.size() == 1 ? parts.remove(0) : NDArrays.concat(parts); // (n)
            try (flat) {
                return flat.reshape(shape); // a view that keeps the storage alive after flat's handle closes
            }
        } finally {
            parts.close();
        }
    }

    private static String decode(String where, ByteBuffer header) throws ModelFormatException {
        header.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(header).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(where + ": the header is not valid UTF-8", e);
        }
    }

    private static Map<String, Entry> parseHeader(String where, String json, Map<String, String> metadata)
            throws ModelFormatException {
        JsonElement root;
        try {
            root = JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw new ModelFormatException(where + ": the header is not valid JSON (" + e.getMessage() + ")", e);
        }
        if (!root.isJsonObject()) {
            throw new ModelFormatException(where + ": the header must be a JSON object");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> kv : root.getAsJsonObject().entrySet()) {
            String name = kv.getKey();
            if (name.equals("__metadata__")) {
                readMetadata(where, kv.getValue(), metadata);
                continue;
            }
            String at = where + ": tensor '" + name + "'";
            if (name.isEmpty() || !kv.getValue().isJsonObject()) {
                throw new ModelFormatException(at + " must map a non-empty name to {dtype, shape, data_offsets}");
            }
            JsonObject t = kv.getValue().getAsJsonObject();
            JsonElement dtype = t.get("dtype");
            if (dtype == null || !dtype.isJsonPrimitive() || !dtype.getAsJsonPrimitive().isString()) {
                throw new ModelFormatException(at + " has no string dtype");
            }
            Dtype d = Dtype.parse(dtype.getAsString(), where, name);
            long[] dims = naturals(at, "shape", t.get("shape"), -1);
            long[] offsets = naturals(at, "data_offsets", t.get("data_offsets"), 2);
            long count = 1;
            try {
                for (long dim : dims) {
                    count = Math.multiplyExact(count, dim);
                }
                long expected = Math.multiplyExact(count, (long) d.bytes());
                if (offsets[1] < offsets[0] || offsets[1] - offsets[0] != expected) {
                    throw new ModelFormatException(at + ": data_offsets [" + offsets[0] + ", " + offsets[1]
                            + ") hold " + (offsets[1] - offsets[0]) + " bytes, but shape " + new Shape(dims) + " of "
                            + d + " needs " + expected);
                }
            } catch (ArithmeticException overflow) {
                throw new ModelFormatException(at + ": shape " + new Shape(dims) + " is too large");
            }
            if (offsets[1] - offsets[0] > MAX_TENSOR_BYTES) {
                throw new ModelFormatException(at + " is " + (offsets[1] - offsets[0]) + " bytes; tensors over 2 GiB "
                        + "are not supported (shard the checkpoint or store it in F16/BF16)");
            }
            entries.put(name, new Entry(name, d, new Shape(dims), offsets[0], offsets[1]));
        }
        return entries;
    }

    private static void readMetadata(String where, JsonElement value, Map<String, String> metadata)
            throws ModelFormatException {
        if (!value.isJsonObject()) {
            throw new ModelFormatException(where + ": __metadata__ must be an object of strings");
        }
        for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
            if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString()) {
                throw new ModelFormatException(where + ": __metadata__." + m.getKey() + " must be a string");
            }
            metadata.put(m.getKey(), m.getValue().getAsString());
        }
    }

    /** A JSON array of non-negative integers ({@code length} of them unless it is -1). */
    private static long[] naturals(String at, String field, JsonElement v, int length) throws ModelFormatException {
        if (v == null || !v.isJsonArray() || (length >= 0 && v.getAsJsonArray().size() != length)) {
            throw new ModelFormatException(at + ": " + field + " must be an array of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers");
        }
        JsonArray a = v.getAsJsonArray();
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement x = a.get(i);
            if (!x.isJsonPrimitive() || !((JsonPrimitive) x).isNumber()) {
                throw new ModelFormatException(at + ": " + field + "[" + i + "] is not a number");
            }
            try {
                out[i] = new BigDecimal(x.getAsString()).longValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                throw new ModelFormatException(at + ": " + field + "[" + i + "] = " + x + " is not an integer");
            }
            if (out[i] < 0) {
                throw new ModelFormatException(at + ": " + field + "[" + i + "] = " + out[i] + " is negative");
            }
        }
        return out;
    }

    /** Sorted by offset, the tensors must cover [0, dataBytes) exactly once. */
    private static void checkTiling(String where, Map<String, Entry> entries, long dataBytes)
            throws ModelFormatException {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long next = 0;
        for (Entry e : sorted) {
            if (e.begin() != next) {
                throw new ModelFormatException(where + ": tensor '" + e.name() + "' starts at byte " + e.begin()
                        + " of the data section, expected " + next + " ("
                        + (e.begin() < next ? "it overlaps the tensor before it" : "a gap the header does not explain")
                        + ")");
            }
            next = e.end();
        }
        if (next != dataBytes) {
            throw new ModelFormatException(where + ": the header's tensors cover " + next + " bytes but the data "
                    + "section holds " + dataBytes + (next > dataBytes ? " (the file is truncated)" : " (trailing bytes)"));
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = ch.read(into, at);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            at += n;
        }
    }
}

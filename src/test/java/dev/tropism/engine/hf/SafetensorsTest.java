package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SafetensorsTest {

    /** Values exact in F16 and BF16 (small dyadic rationals), so every dtype round-trips bit for bit. */
    private static Map<String, NDArray> tensors(NDManager m) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put("a.weight", m.create(new float[] {1f, -2f, 0.5f, 0.25f, -0.125f, 3f}, new Shape(2, 3)));
        t.put("b.bias", m.create(new float[] {-1.5f, 0f, 7f}, new Shape(3)));
        t.put("scalar", m.create(new float[] {4f}, new Shape()));
        t.put("empty", m.zeros(new Shape(0, 4), DataType.FLOAT32));
        return t;
    }

    @ParameterizedTest
    @EnumSource(Dtype.class)
    void roundTripsEveryDtype(Dtype dtype, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> written = tensors(m);
            SafetensorsWriter.write(file, written, dtype, Map.of("format", "pt"));
            try (Safetensors s = Safetensors.open(file)) {
                assertEquals(written.keySet(), s.entries().keySet());
                assertEquals(Map.of("format", "pt"), s.metadata());
                for (Map.Entry<String, NDArray> e : written.entrySet()) {
                    NDArray read = s.read(e.getKey(), m);
                    assertEquals(DataType.FLOAT32, read.getDataType(), e.getKey());
                    assertEquals(e.getValue().getShape(), read.getShape(), e.getKey());
                    assertArrayEquals(e.getValue().toFloatArray(), read.toFloatArray(), 0f, e.getKey());
                    assertEquals(dtype, s.entries().get(e.getKey()).dtype());
                }
            }
            // The header is padded to 8 bytes, as the reference writer pads it.
            assertEquals(0, header(file).length % 8);
        }
    }

    @Test
    void bf16IsRoundedToNearestEvenAndWidenedExactly() {
        // 1 + 2^-8 lies halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even mantissa, 1.
        assertEquals(1f, Dtype.bf16ToFloat(Dtype.bf16Bits(1f + 0x1p-8f)));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up to 1 + 2^-6.
        assertEquals(1f + 0x1p-6f, Dtype.bf16ToFloat(Dtype.bf16Bits(1f + 3 * 0x1p-8f)));
        assertEquals((short) 0x3F80, Dtype.bf16Bits(1f)); // 1.0f is 0x3F800000
        assertEquals(-2f, Dtype.bf16ToFloat((short) 0xC000));
    }

    @Test
    void readTensorsAreOwnedCopiesThatOutliveTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(file, tensors(m), Dtype.F32, Map.of());
            NDArray a;
            try (Safetensors s = Safetensors.open(file)) {
                a = s.read("a.weight", m);
            }
            Files.write(file, new byte[] {0}); // the mapping is gone and the file overwritten
            System.gc();
            assertArrayEquals(new float[] {1f, -2f, 0.5f, 0.25f, -0.125f, 3f}, a.toFloatArray(), 0f);
        }
    }

    @Test
    void bf16LargerThanOneWideningChunkIsReadWhole(@TempDir Path dir) throws Exception {
        int n = Safetensors.BF16_CHUNK + 2; // two chunks through the reused scratch buffer; 2^22 + 2 = 3 · 1398102
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % 251) - 125; // integers below 256 are exact in bf16
        }
        Path file = dir.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(file, Map.of("big", m.create(v, new Shape(3, n / 3))), Dtype.BF16, Map.of());
            try (Safetensors s = Safetensors.open(file)) {
                assertArrayEquals(v, s.read("big", m).toFloatArray(), 0f);
            }
        }
    }

    // ---- corrupted files: each gives a ModelFormatException naming the problem, never a crash ----

    private static byte[] header(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Arrays.copyOfRange(all, 8, 8 + (int) n);
    }

    /** A file with {@code json} as its header (padded to 8) and {@code dataBytes} zero bytes of data. */
    private static Path forged(Path dir, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        Path file = dir.resolve("forged.safetensors");
        Files.write(file, b.array());
        return file;
    }

    private static String refused(Path file) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            try (Safetensors s = Safetensors.open(file); NDManager m = NDManager.newBaseManager()) {
                for (String name : s.entries().keySet()) {
                    s.read(name, m).close();
                }
            }
        });
        assertTrue(e.getMessage().startsWith(file.getFileName().toString()), e.getMessage());
        return e.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + message + "' should mention '" + p + "'");
        }
    }

    @Test
    void refusesAHeaderLengthBeyondTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("forged.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).put("{}      ".getBytes());
        Files.write(file, b.array());
        assertMentions(refused(file), "header length");
        Files.write(file, new byte[] {1, 2, 3});
        assertMentions(refused(file), "too short");
        ByteBuffer negative = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-8).put("{}      ".getBytes());
        Files.write(file, negative.array());
        assertMentions(refused(file), "header length");
    }

    @Test
    void refusesHeadersThatAreNotTheFormat(@TempDir Path dir) throws IOException {
        assertMentions(refused(forged(dir, "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], ", 4)), "not valid JSON");
        assertMentions(refused(forged(dir, "[1, 2]", 0)), "JSON object");
        assertMentions(refused(forged(dir, "{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4)), "'a'",
                "data_offsets");
        assertMentions(refused(forged(dir, "{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4)), "dtype");
        assertMentions(refused(forged(dir, "{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}",
                4)), "not an integer");
        assertMentions(refused(forged(dir, "{\"a\": {\"dtype\": \"F32\", \"shape\": \"2\", \"data_offsets\": [0, 4]}}",
                4)), "shape");
    }

    @Test
    void refusesUnsupportedDtypesNamingThem(@TempDir Path dir) throws IOException {
        for (String dtype : new String[] {"F64", "I64", "U8", "F8_E4M3", "bf16"}) {
            String msg = refused(forged(dir, "{\"w\": {\"dtype\": \"" + dtype + "\", \"shape\": [1], "
                    + "\"data_offsets\": [0, 8]}}", 8));
            assertMentions(msg, "'w'", dtype, "F32, F16 or BF16");
        }
    }

    @Test
    void refusesShapesThatDisagreeWithTheirBytes(@TempDir Path dir) throws IOException {
        assertMentions(refused(forged(dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 16]}}",
                16)), "'w'", "(2, 3)", "needs 24");
        assertMentions(refused(forged(dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [-2, -3], "
                + "\"data_offsets\": [0, 24]}}", 24)), "negative");
        assertMentions(refused(forged(dir, "{\"w\": {\"dtype\": \"F16\", \"shape\": [4294967296, 4294967296], "
                + "\"data_offsets\": [0, 8]}}", 8)), "too large");
        assertMentions(refused(forged(dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}",
                8)), "'w'");
    }

    @Test
    void refusesOffsetsThatOverlapLeaveGapsOrRunPastTheFile(@TempDir Path dir) throws IOException {
        String overlap = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}";
        assertMentions(refused(forged(dir, overlap, 12)), "'b'", "overlaps");
        String gap = "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}";
        assertMentions(refused(forged(dir, gap, 12)), "'b'", "gap");
        String past = "{\"a\": {\"dtype\": \"F32\", \"shape\": [1000000], \"data_offsets\": [0, 4000000]}}";
        assertMentions(refused(forged(dir, past, 16)), "truncated");
        String tooLittle = "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}";
        assertMentions(refused(forged(dir, tooLittle, 12)), "trailing");
    }

    @Test
    void refusesATruncatedRealFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(file, tensors(m), Dtype.BF16, Map.of());
        }
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, all.length - 3));
        assertMentions(refused(file), "truncated");
        Files.write(file, Arrays.copyOf(all, 40)); // cut inside the header
        assertMentions(refused(file), "header length");
    }

    @Test
    void namesAMissingTensor(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(file, tensors(m), Dtype.F32, Map.of());
            try (Safetensors s = Safetensors.open(file)) {
                ModelFormatException e = assertThrows(ModelFormatException.class, () -> s.read("nope", m));
                assertMentions(e.getMessage(), "model.safetensors", "'nope'");
            }
        }
    }
}

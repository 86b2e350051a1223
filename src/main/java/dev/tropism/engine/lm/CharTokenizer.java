package dev.tropism.engine.lm;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Character-level tokenizer saved with the model. Ids 0..3 are special: {@code PAD}, {@code BOS}
 * (starts every sequence), {@code EOS} (ends a text or completion), {@code UNK} (a character the
 * corpus never had). The vocabulary is the corpus's code points, sorted, so it is deterministic.
 */
public final class CharTokenizer implements Tokenizer {

    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    public static final int UNK = 3;
    private static final int SPECIALS = 4;

    private final int[] codePoints; // id - SPECIALS -> code point
    private final Map<Integer, Integer> ids = new HashMap<>();

    private CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints;
        for (int i = 0; i < codePoints.length; i++) {
            ids.put(codePoints[i], i + SPECIALS);
        }
    }

    /** Builds the vocabulary from every code point in {@code texts}. */
    public static CharTokenizer fit(Collection<String> texts) {
        TreeSet<Integer> cps = new TreeSet<>();
        for (String t : texts) {
            t.codePoints().forEach(cps::add);
        }
        return new CharTokenizer(cps.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public int vocabSize() {
        return codePoints.length + SPECIALS;
    }

    /** Token ids of {@code text} without specials. */
    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> ids.getOrDefault(cp, UNK)).toArray();
    }

    /** Text of {@code tokens}, stopping at the first EOS or PAD; BOS and UNK are dropped. */
    @Override
    public String decode(int[] tokens, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            int t = tokens[i];
            if (t == EOS || t == PAD) {
                break;
            }
            if (t >= SPECIALS && t < vocabSize()) {
                sb.appendCodePoint(codePoints[t - SPECIALS]);
            }
        }
        return sb.toString();
    }

    @Override
    public int bos() {
        return BOS;
    }

    @Override
    public int eos() {
        return EOS;
    }

    @Override
    public int pad() {
        return PAD;
    }

    /** PAD, BOS and UNK are never generated: only EOS among the special ids may end a completion. */
    @Override
    public boolean generatable(int id) {
        return id != PAD && id != BOS && id != UNK && id >= 0 && id < vocabSize();
    }

    /** The vocabulary's characters, by id − 4 (for export as a {@code tokenizer.json}). */
    public int[] codePoints() {
        return codePoints.clone();
    }

    public void save(Path file) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("type", "char");
        o.addProperty("specials", "pad,bos,eos,unk");
        StringBuilder sb = new StringBuilder();
        for (int cp : codePoints) {
            sb.appendCodePoint(cp);
        }
        o.addProperty("chars", sb.toString());
        Files.writeString(file, new Gson().toJson(o), StandardCharsets.UTF_8);
    }

    public static CharTokenizer load(Path file) throws IOException {
        JsonObject o = new Gson().fromJson(Files.readString(file, StandardCharsets.UTF_8), JsonObject.class);
        if (o == null || !"char".equals(o.get("type").getAsString())) {
            throw new IOException("not a char tokenizer: " + file);
        }
        List<Integer> cps = new ArrayList<>();
        o.get("chars").getAsString().codePoints().forEach(cps::add);
        return new CharTokenizer(cps.stream().mapToInt(Integer::intValue).toArray());
    }
}

package dev.tropism.engine.align;

import dev.tropism.engine.hf.ChatTemplate;
import dev.tropism.engine.hf.ChatTemplate.Message;
import dev.tropism.engine.lm.ChatFormat;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One sequence of supervised fine-tuning: its tokens and which of them the loss counts. Built from a line of an
 * {@code sft} dataset:
 * <ul>
 *   <li>{@code {"prompt", "completion"}}: the start token (BOS), the prompt's tokens as they are, then the completion's
 *       and the end-of-sequence token, as {@link CompletionBatch#encode} encodes a given completion. The loss counts
 *       the completion and EOS.</li>
 *   <li>{@code {"messages": [{"role", "content"}, ...]}}: the conversation rendered through the model's chat template,
 *       the loss counting the assistant turns only. Each assistant turn i is found by rendering the conversation
 *       prefix by prefix: P_i, the messages before it with the generation prompt (what a chat request shows the
 *       model), and F_i, the messages up to and including it; its tokens are those of F_i after P_i. With an
 *       imported model's Jinja template the whole conversation is one sequence when each P_i continues the text
 *       before it (true of most templates); when a template renders the history differently from the conversation
 *       so far (one that drops earlier reasoning, say), each assistant turn becomes its own sequence P_i + turn i.
 *       A tiny-gpt's {@link ChatFormat} has no end-of-turn text, and a chat with it ends where the model writes EOS,
 *       so each assistant turn is its own sequence: P_i, then the turn's content and EOS, counted.</li>
 * </ul>
 * Every piece of text is encoded on its own and the pieces concatenated, so a turn's tokens are those the model would
 * generate after its prompt.
 *
 * <p>A sequence longer than {@code max_length} keeps its start token and loses tokens after it (the prompt's head)
 * until it fits, keeping at least one token before the first counted one, as a long prompt keeps its tail in GRPO;
 * if it is still too long, its end is cut (the completion then has no EOS, as a truncated sample has none).
 *
 * @param tokens the sequence, beginning with the start token
 * @param counts {@code counts[j]}: the prediction of {@code tokens[j]} from {@code tokens[0..j)} is in the loss
 *     ({@code counts[0]} is false)
 */
record SftExample(int[] tokens, boolean[] counts) {

    /** A run of text, counted by the loss or not. */
    private record Segment(String text, boolean counted) {
    }

    /** The positions a forward reads: every token but the last. */
    int inputs() {
        return tokens.length - 1;
    }

    /**
     * The sequences of {@code items}, in order.
     *
     * @param which names the items in errors ("dataset", "eval_dataset")
     * @throws IllegalArgumentException naming the item (1-based, blank lines not counted) that cannot be used
     */
    static List<SftExample> all(List<Map<String, Object>> items, LanguageModel model, int maxLength, String which) {
        List<SftExample> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            try {
                out.addAll(of(items.get(i), model, maxLength));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(which + " item " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The sequence(s) of one item: one, or one per assistant turn (see the class comment). */
    static List<SftExample> of(Map<String, Object> item, LanguageModel model, int maxLength) {
        Tokenizer tok = model.tokenizer();
        Object messages = item.get("messages");
        if (messages == null) {
            List<Segment> s = List.of(new Segment(string(item, "prompt"), false),
                    new Segment(string(item, "completion"), true));
            return List.of(encode(tok, s, true, maxLength));
        }
        if (item.containsKey("prompt") || item.containsKey("completion")) {
            throw new IllegalArgumentException("has both 'messages' and 'prompt'/'completion'; use one form");
        }
        List<Message> turns = messages(messages);
        List<Integer> assistant = new ArrayList<>();
        for (int i = 0; i < turns.size(); i++) {
            if (turns.get(i).role().equals("assistant")) {
                assistant.add(i);
            }
        }
        if (assistant.isEmpty()) {
            throw new IllegalArgumentException("has no assistant turn: the loss is on assistant turns only");
        }
        List<SftExample> out = new ArrayList<>();
        if (model.chatTemplate() == null) {
            ChatFormat format = model.chatFormat();
            for (int i : assistant) {
                String prompt = format.render(turns.subList(0, i).stream()
                        .map(m -> new ChatFormat.Turn(m.role(), m.content())).toList());
                out.add(encode(tok, List.of(new Segment(prompt, false), new Segment(turns.get(i).content(), true)), true,
                        maxLength));
            }
            return out;
        }
        ChatTemplate template = model.chatTemplate();
        List<Segment> whole = new ArrayList<>();
        List<List<Segment>> perTurn = new ArrayList<>();
        String before = ""; // the text the one sequence has reached
        boolean continues = true;
        for (int i : assistant) {
            String prompt = template.render(turns.subList(0, i), true); // P_i
            String upTo = template.render(turns.subList(0, i + 1), false); // F_i
            if (!upTo.startsWith(prompt)) {
                throw new IllegalArgumentException("the model's chat template does not render assistant turn "
                        + (i + 1) + " as a continuation of its generation prompt, so its tokens cannot be told apart");
            }
            Segment turn = new Segment(upTo.substring(prompt.length()), true);
            perTurn.add(List.of(new Segment(prompt, false), turn));
            continues &= prompt.startsWith(before);
            if (continues) {
                whole.add(new Segment(prompt.substring(before.length()), false));
                whole.add(turn);
                before = upTo;
            }
        }
        String all = template.render(turns, false);
        if (continues && all.startsWith(before)) {
            whole.add(new Segment(all.substring(before.length()), false));
            return List.of(encode(tok, whole, false, maxLength));
        }
        for (List<Segment> s : perTurn) {
            out.add(encode(tok, s, false, maxLength));
        }
        return out;
    }

    private static String string(Map<String, Object> item, String field) {
        if (!(item.get(field) instanceof String s)) {
            throw new IllegalArgumentException("needs a string field '" + field + "'");
        }
        return s;
    }

    private static List<Message> messages(Object value) {
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException("'messages' must be a non-empty array");
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m) || !(m.get("role") instanceof String role)
                    || !(m.get("content") instanceof String content)) {
                throw new IllegalArgumentException("messages[" + i + "] needs string fields 'role' and 'content'");
            }
            if (!SftRun.ROLES.contains(role)) {
                throw new IllegalArgumentException("messages[" + i + "] has role '" + role + "'; roles are "
                        + SftRun.ROLES);
            }
            out.add(new Message(role, content));
        }
        return out;
    }

    /**
     * The tokens of {@code segments} (the first one not counted, opened by the start token), then EOS when
     * {@code endWithEos} and the model has one, cut to {@code maxLength}.
     */
    private static SftExample encode(Tokenizer tok, List<Segment> segments, boolean endWithEos, int maxLength) {
        int[] tokens = tok.start(tok.encode(segments.get(0).text()));
        boolean[] counts = new boolean[tokens.length];
        for (Segment s : segments.subList(1, segments.size())) {
            int[] ids = tok.encode(s.text());
            int at = tokens.length;
            tokens = Arrays.copyOf(tokens, at + ids.length);
            counts = Arrays.copyOf(counts, at + ids.length);
            System.arraycopy(ids, 0, tokens, at, ids.length);
            Arrays.fill(counts, at, counts.length, s.counted());
        }
        if (endWithEos && tok.eos() >= 0) {
            tokens = Arrays.copyOf(tokens, tokens.length + 1);
            counts = Arrays.copyOf(counts, counts.length + 1);
            tokens[tokens.length - 1] = tok.eos();
            counts[counts.length - 1] = true;
        }
        return truncate(tokens, counts, maxLength);
    }

    /** See the class comment: the prompt's head goes first, then the end. */
    static SftExample truncate(int[] tokens, boolean[] counts, int maxLength) {
        int first = 1;
        while (first < counts.length && !counts[first]) {
            first++;
        }
        if (first == counts.length) {
            throw new IllegalArgumentException("has no token to train on (an empty completion?)");
        }
        int n = tokens.length;
        if (n <= maxLength) {
            return new SftExample(tokens, counts);
        }
        int drop = Math.max(0, Math.min(n - maxLength, first - 2));
        int kept = Math.min(n - drop, maxLength);
        int[] t = new int[kept];
        boolean[] c = new boolean[kept];
        t[0] = tokens[0];
        System.arraycopy(tokens, 1 + drop, t, 1, kept - 1);
        System.arraycopy(counts, 1 + drop, c, 1, kept - 1);
        return new SftExample(t, c);
    }
}

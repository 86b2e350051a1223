package dev.tropism.engine.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * A completion's text as tokens arrive, with stop strings. Text that ends in a proper prefix of some
 * stop string is held back (the usual streaming trick of vLLM and TGI), so a stop string that spans
 * several tokens is never streamed before it is recognized; once a stop string completes, the text is
 * cut where it begins and nothing after it is released.
 *
 * <p>Invariant that makes the search cheap: no stop string starts inside released text, because a
 * partial match at the end of the text is always held back. So each new token needs only a search
 * from the release point.
 */
final class CompletionText {

    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private final List<TokenLogprob> tokens = new ArrayList<>(); // every token with a log-prob, in order
    private final List<Integer> tokenEnds = new ArrayList<>(); // end offset in text of each of those tokens
    private int released; // characters final and handed out
    private int releasedTokens; // tokens of released text
    private boolean stopped;

    CompletionText(List<String> stops) {
        this.stops = stops;
    }

    /**
     * Adds one token's text (and its log-prob, or null) and returns what became final, or null.
     * After a stop string completes, {@link #stopped()} is true and later calls must not happen.
     */
    GenerationDelta append(String piece, TokenLogprob logprob) {
        text.append(piece);
        if (logprob != null) {
            tokens.add(logprob);
            tokenEnds.add(text.length());
        }
        int cut = -1;
        for (String s : stops) {
            int i = text.indexOf(s, released);
            if (i >= 0 && (cut < 0 || i < cut)) {
                cut = i;
            }
        }
        if (cut >= 0) {
            stopped = true;
            text.setLength(cut);
            return releaseTo(cut);
        }
        return releaseTo(text.length() - heldBack());
    }

    /** Releases whatever is held back (the completion ended without completing a stop string). */
    GenerationDelta flush() {
        return releaseTo(text.length());
    }

    boolean stopped() {
        return stopped;
    }

    /** The released text so far (all of it after {@link #flush()} or a stop). */
    String text() {
        return text.substring(0, released);
    }

    /** Log-probs of the tokens of {@link #text()}. */
    List<TokenLogprob> logprobs() {
        return tokens.subList(0, releasedTokens);
    }

    /** Length of the longest suffix of the unreleased text that is a proper prefix of a stop string. */
    private int heldBack() {
        int best = 0;
        int open = text.length() - released;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, open); k > best; k--) {
                if (endsWith(s, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    /** True when the text ends with the first {@code k} characters of {@code s}. */
    private boolean endsWith(String s, int k) {
        int from = text.length() - k;
        for (int i = 0; i < k; i++) {
            if (text.charAt(from + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private GenerationDelta releaseTo(int end) {
        if (end <= released) {
            return null;
        }
        int from = releasedTokens;
        while (releasedTokens < tokens.size() && tokenEnds.get(releasedTokens) <= end) {
            releasedTokens++;
        }
        GenerationDelta d = new GenerationDelta(text.substring(released, end), tokens.subList(from, releasedTokens));
        released = end;
        return d;
    }
}

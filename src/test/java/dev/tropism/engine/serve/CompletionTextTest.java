package dev.tropism.engine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CompletionTextTest {

    private static TokenLogprob lp(String t) {
        return new TokenLogprob(t, 0, -0.5, List.of());
    }

    private static String text(GenerationDelta d) {
        return d == null ? null : d.text();
    }

    @Test
    void aStopStringSpanningTokensIsHeldBackThenCut() {
        CompletionText c = new CompletionText(List.of("</x>"));
        assertEquals("a", text(c.append("a", lp("a"))));
        assertNull(c.append("<", lp("<"))); // could start "</x>"
        assertNull(c.append("/", lp("/")));
        GenerationDelta d = c.append("y", lp("y")); // "</y" is not a prefix: all of it is released
        assertEquals("</y", d.text());
        assertEquals(3, d.logprobs().size());
        assertNull(c.append("<", lp("<")));
        assertNull(c.append("/", lp("/")));
        assertNull(c.append("x", lp("x")));
        assertNull(c.append(">", lp(">"))); // stop completed: nothing more, text cut before it
        assertTrue(c.stopped());
        assertEquals("a</y", c.text());
        assertEquals(4, c.logprobs().size());
    }

    @Test
    void theEarliestOfSeveralStopsWinsAndFlushReleasesHeldText() {
        CompletionText c = new CompletionText(List.of("cd", "bcx"));
        assertEquals("a", text(c.append("a", null)));
        assertNull(c.append("b", null)); // "b" may start "bcx"
        assertNull(c.append("c", null)); // "bc" may start "bcx", "c" may start "cd"
        assertEquals("b", text(c.append("d", null))); // "cd" completes first: "b" was real text
        assertEquals("ab", c.text());

        CompletionText open = new CompletionText(List.of("cd"));
        assertEquals("a", text(open.append("a", null)));
        assertNull(open.append("c", null));
        assertEquals("c", text(open.flush())); // the completion ended: held text is real text
        assertFalse(open.stopped());
        assertEquals("ac", open.text());
    }

    @Test
    void aStopStringInsideOneTokenCutsThatToken() {
        CompletionText c = new CompletionText(List.of("=="));
        assertEquals("1+1", text(c.append("1+1", lp("1+1"))));
        GenerationDelta d = c.append("2==", lp("2=="));
        assertEquals("2", d.text());
        assertTrue(d.logprobs().isEmpty()); // the token reaches past the cut: its text is not all returned
        assertEquals("1+12", c.text());
    }
}

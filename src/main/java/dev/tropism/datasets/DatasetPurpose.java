package dev.tropism.datasets;

/** What a dataset's JSONL lines hold. */
public enum DatasetPurpose {
    /** {@code {"text": "..."}} lines, for pretraining. */
    CORPUS,
    /** {@code {"prompt": "...", ...}} lines plus any fields reward templates read. */
    PROMPTS,
    /** {@code {"prompt", "chosen", "rejected"}} lines. */
    PREFERENCES,
    /**
     * Demonstrations for supervised fine-tuning: {@code {"prompt", "completion"}} lines, or {@code {"messages": [{"role":
     * "system"|"user"|"assistant", "content"}, ...]}} lines with at least one assistant turn.
     */
    SFT
}

package dev.tropism.datasets;

/** What a dataset's JSONL lines hold. */
public enum DatasetPurpose {
    /** {@code {"text": "..."}} lines, for pretraining. */
    CORPUS,
    /** {@code {"prompt": "...", ...}} lines plus any fields reward templates read. */
    PROMPTS,
    /** {@code {"prompt", "chosen", "rejected"}} lines. */
    PREFERENCES
}

package dev.tropism.engine.hf;

import java.nio.file.Path;

/** Tiny HF model directories for tests outside this package (the service's import tests). */
public final class HfTestModels {

    private HfTestModels() {
    }

    /**
     * The committed {@code gpt2}, {@code llama} or {@code qwen2} fixture written into {@code dir} in HF layout
     * ({@code config.json}, {@code model.safetensors}) with a character-level {@code tokenizer.json} and a
     * {@code tokenizer_config.json}.
     */
    public static Path model(String name, Path dir) throws Exception {
        return HfModelInfoTest.model(name, dir);
    }
}

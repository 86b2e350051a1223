package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code bash tools/tropism-eval …} as a process against a service, with the API key in
 * {@code TROPISM_API_KEY}, and returns its exit status and streams.
 */
final class TropismEvalCli {

    static final Path SCRIPT = Path.of("tools", "tropism-eval");

    /** One run of the script: its exit status and its two streams. */
    record Result(int exit, String out, String err) {

        /** Both streams, for assertion messages. */
        String both() {
            return out + err;
        }
    }

    private final String url;
    private final Path tmp;

    TropismEvalCli(String url, Path tmp) {
        this.url = url;
        this.tmp = tmp;
    }

    /** Fails unless bash, curl and jq are on the PATH. */
    static void requireTools() throws IOException, InterruptedException {
        for (String tool : List.of("bash", "curl", "jq")) {
            assertThat(new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor())
                    .as("%s is on the PATH (the CLI under test needs bash, curl and jq)", tool).isZero();
        }
    }

    Result run(String key, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "cli", ".out");
        Path err = Files.createTempFile(tmp, "cli", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("TROPISM_URL", url);
        pb.environment().put("TROPISM_API_KEY", key);
        pb.environment().put("TROPISM_POLL_SECONDS", "0.2");
        pb.environment().remove("TROPISM_TEAM");
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("tropism-eval " + String.join(" ", args) + " did not finish in 180 s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Uploads {"name", "grader"} with {@code upload-spec} and returns the spec id. */
    String uploadSpec(String key, String name, String graderJson) throws IOException, InterruptedException {
        Path file = tmp.resolve(name + ".json");
        Files.writeString(file, "{\"name\":\"" + name + "\",\"grader\":" + graderJson + "}");
        Result r = run(key, "upload-spec", file.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out().strip();
    }
}

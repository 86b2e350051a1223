package dev.tropism.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;

/** Rewrites one marked section of docs/benchmarks.md with a benchmark's table. */
public final class BenchmarkDocs {

    private BenchmarkDocs() {
    }

    /**
     * Replaces the text between {@code <!-- <marker>:begin -->} and {@code <!-- <marker>:end -->} (appended
     * when absent) with the date, the command and {@code table}.
     */
    public static void writeSection(String marker, String command, String table) throws IOException {
        Path file = Path.of("docs", "benchmarks.md");
        String begin = "<!-- " + marker + ":begin -->";
        String end = "<!-- " + marker + ":end -->";
        String section = begin + "\nMeasured " + LocalDate.now() + " with `" + command + "` on this machine ("
                + Runtime.getRuntime().availableProcessors() + " cores):\n\n" + table + "\n" + end;
        String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "# Benchmarks\n";
        int a = text.indexOf(begin);
        int b = text.indexOf(end);
        text = a >= 0 && b > a ? text.substring(0, a) + section + text.substring(b + end.length()) : text + "\n" + section + "\n";
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}

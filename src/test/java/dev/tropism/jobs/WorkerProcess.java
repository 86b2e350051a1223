package dev.tropism.jobs;

import dev.tropism.TropismApplication;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A Tropism worker node in a JVM of its own ({@code tropism.role=worker}), started from the test classpath with the
 * scripted runs of {@link JobsTestConfig}, so that a test can kill it with {@code SIGKILL} as an operator's
 * {@code kill -9} or the kernel's OOM killer would. Its output goes to {@code target/worker-<name>.log}.
 */
final class WorkerProcess implements AutoCloseable {

    /** System property set in worker processes only (a scripted step may then halt the JVM). */
    static final String IS_WORKER_PROCESS = "tropism.test.worker-process";

    final String name;
    final Process process;
    final Path log;

    private WorkerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Runs a worker node: {@code main} of the worker process. */
    public static void main(String[] args) {
        new SpringApplicationBuilder(TropismApplication.class, JobsTestConfig.class).run(args);
    }

    /**
     * Starts a worker named {@code name} with these Spring properties and waits until it has registered in the
     * shared database.
     */
    static WorkerProcess start(String name, Map<String, String> properties, JdbcClient jdbc) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g", "-XX:TieredStopAtLevel=1",
                "-D" + IS_WORKER_PROCESS + "=true", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), WorkerProcess.class.getName()));
        properties.forEach((k, v) -> command.add("--" + k + "=" + v));
        command.add("--tropism.role=worker");
        command.add("--tropism.worker.name=" + name);
        command.add("--server.port=0");
        Path log = Path.of("target", "worker-" + name + ".log");
        Files.createDirectories(log.getParent());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        WorkerProcess worker = new WorkerProcess(name, process, log);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (jdbc.sql("SELECT COUNT(*) FROM nodes WHERE name = ? AND state = 'active'").param(name)
                .query(Integer.class).single() == 0) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                worker.kill();
                throw new IllegalStateException("worker " + name + " did not register; see " + log.toAbsolutePath()
                        + ":\n" + tail(log));
            }
            Thread.sleep(200);
        }
        return worker;
    }

    /** {@code kill -9}: the worker dies without checkpointing, settling or deregistering. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    boolean alive() {
        return process.isAlive();
    }

    /** A clean shutdown ({@code SIGTERM}): running jobs checkpoint and go back to the queue. */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(File.separator.equals("/") ? "\n" : "\r\n",
                    lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}

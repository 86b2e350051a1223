package dev.tropism.jobs;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Server-sent events of a job: replays its log, then polls the database for new events until the job
 * has ended and every event was sent. Polling the shared database (not an in-memory bus) keeps it
 * correct when training moves to worker nodes.
 */
@Component
public class JobEventStream implements DisposableBean {

    private static final long TIMEOUT_MS = Duration.ofHours(6).toMillis();

    private final JobEvents events;
    private final JobStore jobs;
    private final JobsProperties properties;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "job-event-stream");
        t.setDaemon(true);
        return t;
    });

    public JobEventStream(JobEvents events, JobStore jobs, JobsProperties properties) {
        this.events = events;
        this.jobs = jobs;
        this.properties = properties;
    }

    public SseEmitter open(String jobId) {
        SseEmitter emitter = new SseEmitter(TIMEOUT_MS);
        AtomicLong lastSeq = new AtomicLong();
        AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
        Runnable poll = () -> {
            try {
                // Read the status first: once it is terminal, an empty batch means every event was sent.
                boolean ended = jobs.require(jobId).status().terminal();
                List<JobEvent> batch = events.after(jobId, lastSeq.get(), 200);
                for (JobEvent e : batch) {
                    emitter.send(SseEmitter.event().id(e.id()).name(e.type()).data(e, MediaType.APPLICATION_JSON));
                    lastSeq.set(e.seq());
                }
                if (ended && batch.isEmpty()) {
                    emitter.complete();
                    cancel(task);
                }
            } catch (IOException | RuntimeException e) {
                emitter.completeWithError(e);
                cancel(task);
            }
        };
        emitter.onCompletion(() -> cancel(task));
        emitter.onTimeout(() -> cancel(task));
        emitter.onError(e -> cancel(task));
        task.set(scheduler.scheduleWithFixedDelay(poll, 0, Math.min(properties.pollInterval().toMillis(), 250),
                TimeUnit.MILLISECONDS));
        return emitter;
    }

    private static void cancel(AtomicReference<ScheduledFuture<?>> task) {
        ScheduledFuture<?> f = task.get();
        if (f != null) {
            f.cancel(false);
        }
    }

    @Override
    public void destroy() {
        scheduler.shutdownNow();
    }
}

package dev.tropism.jobs;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Server-sent events of a job: replays its log, then polls the database for new events until the job
 * has ended and every event was sent (see {@link SsePolling}).
 */
@Component
public class JobEventStream {

    private final JobEvents events;
    private final JobStore jobs;
    private final SsePolling polling;

    JobEventStream(JobEvents events, JobStore jobs, SsePolling polling) {
        this.events = events;
        this.jobs = jobs;
        this.polling = polling;
    }

    public SseEmitter open(String jobId) {
        AtomicLong lastSeq = new AtomicLong();
        return polling.open(emitter -> {
            // Read the status first: once it is terminal, an empty batch means every event was sent.
            boolean ended = jobs.require(jobId).status().terminal();
            List<JobEvent> batch = events.after(jobId, lastSeq.get(), 200);
            for (JobEvent e : batch) {
                emitter.send(SseEmitter.event().id(e.id()).name(e.type()).data(e, MediaType.APPLICATION_JSON));
                lastSeq.set(e.seq());
            }
            return ended && batch.isEmpty();
        });
    }
}

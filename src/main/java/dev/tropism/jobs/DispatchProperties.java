package dev.tropism.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.dispatch.*}: how step requests travel from the API nodes' manager steps to the workers.
 *
 * @param transport {@code auto} (default: {@code local} when {@code tropism.role=all}, else {@code amqp}),
 *        {@code local} (in this process; only for {@code tropism.role=all}) or {@code amqp} (RabbitMQ, configured
 *        with {@code spring.rabbitmq.*})
 * @param exchange the durable direct exchange step requests are published to; each worker binds its own durable
 *        queue ({@code <exchange>.<node id>}) with its node id as routing key. Default {@code tropism.steps}.
 * @param confirmTimeout how long a manager step waits for the broker's publisher confirm before the dispatch counts
 *        as failed and the job is queued again. Default 10 s.
 * @param retryAfter how long dispatching pauses after a failed dispatch (the broker is down). Default 5 s.
 */
@ConfigurationProperties("tropism.dispatch")
public record DispatchProperties(
        @DefaultValue("auto") String transport,
        @DefaultValue("tropism.steps") String exchange,
        @DefaultValue("10s") Duration confirmTimeout,
        @DefaultValue("5s") Duration retryAfter) {

    public DispatchProperties {
        if (!transport.equals("auto") && !transport.equals("local") && !transport.equals("amqp")) {
            throw new IllegalArgumentException("tropism.dispatch.transport must be auto, local or amqp, got '"
                    + transport + "'");
        }
        if (!exchange.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new IllegalArgumentException("tropism.dispatch.exchange must be 1-200 letters, digits, '.', '_' or"
                    + " '-', got '" + exchange + "'");
        }
    }
}

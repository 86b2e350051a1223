package dev.tropism.jobs;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/health/dispatch}: the step-request transport. With {@code amqp}, up while RabbitMQ accepts a
 * connection; with {@code local}, always up (nothing leaves the process).
 */
@Component("dispatch")
class DispatchHealth implements HealthIndicator {

    private final StepTransport transport;

    DispatchHealth(StepTransport transport) {
        this.transport = transport;
    }

    @Override
    public Health health() {
        Health.Builder health = Health.up().withDetail("transport", transport.kind());
        if (transport.kind().equals("amqp")) {
            try {
                health.withDetail("broker", transport.brokerVersion());
            } catch (RuntimeException e) {
                return Health.down(e).withDetail("transport", transport.kind()).build();
            }
        }
        return health.build();
    }
}

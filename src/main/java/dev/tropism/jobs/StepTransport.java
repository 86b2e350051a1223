package dev.tropism.jobs;

import com.rabbitmq.client.Channel;
import dev.tropism.workers.NodeRegistry;
import dev.tropism.workers.NodeRole;
import java.io.IOException;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.integration.amqp.dsl.Amqp;
import org.springframework.integration.amqp.outbound.AmqpOutboundEndpoint;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.context.IntegrationFlowContext;
import org.springframework.integration.support.MessageBuilder;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.stereotype.Component;

/**
 * How Spring Batch's step requests travel from a manager step ({@code RemoteStep}) to the worker chosen for the job.
 *
 * <ul>
 *   <li>{@code local}: within this process ({@code tropism.role=all}, no broker): the request is handed to this
 *       node's {@link JobExecutor}.</li>
 *   <li>{@code amqp}: over RabbitMQ with Spring Integration AMQP. Each worker consumes its own durable queue
 *       {@code <exchange>.<node id>}, bound to the durable direct exchange with its node id. Requests are persistent;
 *       the manager waits for the broker's publisher confirm (a nack or a timeout fails the dispatch, and the job is
 *       queued again); the worker acknowledges a request only once it has accepted or refused it (manual acks), so a
 *       request survives a broker restart or a worker that dies before taking it.</li>
 * </ul>
 */
@Component
class StepTransport {

    private static final Logger log = LoggerFactory.getLogger(StepTransport.class);
    /** Header naming the worker node a request is for (its routing key). */
    private static final String WORKER_HEADER = "tropism_worker";
    /** A worker's queue is deleted by the broker after an hour without a consumer (its node is gone). */
    private static final int QUEUE_EXPIRES_MILLIS = 3_600_000;

    private final DispatchProperties properties;
    private final NodeRegistry registry;
    private final ObjectProvider<ConnectionFactory> connectionFactory;
    private final ObjectProvider<IntegrationFlowContext> flows;
    private final BeanFactory beanFactory;
    private final boolean amqp;
    private volatile Consumer<StepExecutionRequest> localHandler;
    private RabbitAdmin admin;
    private AmqpOutboundEndpoint outbound;
    private IntegrationFlowContext.IntegrationFlowRegistration inbound;

    StepTransport(DispatchProperties properties, NodeRegistry registry, ObjectProvider<ConnectionFactory> connectionFactory,
            ObjectProvider<IntegrationFlowContext> flows, BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
        this.properties = properties;
        this.registry = registry;
        this.connectionFactory = connectionFactory;
        this.flows = flows;
        String transport = properties.transport();
        this.amqp = transport.equals("amqp") || transport.equals("auto") && registry.role() != NodeRole.ALL;
        if (!amqp && registry.role() != NodeRole.ALL) {
            throw new IllegalStateException("tropism.role=" + registry.role().wire() + " needs"
                    + " tropism.dispatch.transport=amqp: the local transport only reaches this process");
        }
    }

    /** {@code local} or {@code amqp}. */
    String kind() {
        return amqp ? "amqp" : "local";
    }

    /** The broker's product and version, from a (cached) connection; throws when it cannot connect. */
    String brokerVersion() {
        try (var connection = connectionFactory.getObject().createConnection()) {
            Map<String, Object> server = connection.getDelegate().getServerProperties();
            return server.getOrDefault("product", "RabbitMQ") + " " + server.getOrDefault("version", "");
        }
    }

    /** The channel a manager step sends the request for {@code workerId} into. */
    MessageChannel channelTo(String workerId) {
        if (!amqp) {
            return (message, timeout) -> {
                Consumer<StepExecutionRequest> handler = localHandler;
                if (handler == null) {
                    throw new IllegalStateException("this node does not train (it is stopping)");
                }
                handler.accept((StepExecutionRequest) message.getPayload());
                return true;
            };
        }
        return (message, timeout) -> {
            declareWorkerQueue(workerId); // never unroutable: a request waits in the queue until the worker takes it
            outbound().handleMessage(MessageBuilder.fromMessage(message).setHeader(WORKER_HEADER, workerId).build());
            return true;
        };
    }

    /**
     * Starts taking this node's step requests: each goes to {@code handler}, which accepts (and starts the launch on
     * its own thread) or refuses it, and returns; the request is acknowledged then. A handler that throws (the
     * database is down) leaves the request on the queue, to be delivered again after a pause.
     */
    synchronized void listen(Consumer<StepExecutionRequest> handler) {
        if (!amqp) {
            localHandler = handler;
            return;
        }
        ConnectionFactory factory = connectionFactory.getObject();
        RabbitAdmin a = admin();
        String queue = declareWorkerQueue(registry.nodeId());
        // Re-declare after a broker restart that lost them (a broker without persistence).
        factory.addConnectionListener(connection -> {
            try {
                declareWorkerQueue(registry.nodeId());
            } catch (RuntimeException e) {
                log.warn("could not declare this worker's step queue on a new connection", e);
            }
        });
        SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(factory);
        container.setQueueNames(queue);
        container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
        container.setPrefetchCount(1);
        container.setMissingQueuesFatal(false);
        container.setAmqpAdmin(a);
        IntegrationFlow flow = IntegrationFlow
                .from(Amqp.inboundAdapter(container).messageConverter(new StepRequestConverter()))
                .handle(m -> take(m, handler))
                .get();
        inbound = flows.getObject().registration(flow).id("tropism-steps-inbound").register();
        log.info("taking step requests from RabbitMQ queue {}", queue);
    }

    private static void take(Message<?> message, Consumer<StepExecutionRequest> handler) {
        Channel channel = message.getHeaders().get(AmqpHeaders.CHANNEL, Channel.class);
        Long tag = message.getHeaders().get(AmqpHeaders.DELIVERY_TAG, Long.class);
        try {
            handler.accept((StepExecutionRequest) message.getPayload());
            channel.basicAck(tag, false);
        } catch (RuntimeException e) {
            log.warn("could not take step request {}; it goes back to the queue", message.getPayload(), e);
            try {
                Thread.sleep(1000); // do not spin on a request while the database is down
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            try {
                channel.basicNack(tag, false, true);
            } catch (IOException nack) {
                log.warn("could not requeue step request {}; the broker redelivers it when the channel closes",
                        message.getPayload(), nack);
            }
        } catch (IOException e) {
            log.warn("could not acknowledge step request {}; the broker may deliver it again (it is then refused)",
                    message.getPayload(), e);
        }
    }

    /** Stops taking step requests (those not taken stay on the queue). */
    synchronized void stopListening() {
        localHandler = null;
        if (inbound != null) {
            try {
                inbound.destroy();
            } catch (RuntimeException e) {
                log.warn("could not stop the step request consumer", e);
            }
            inbound = null;
        }
    }

    private String declareWorkerQueue(String nodeId) {
        RabbitAdmin a = admin();
        DirectExchange exchange = new DirectExchange(properties.exchange(), true, false);
        Queue queue = new Queue(properties.exchange() + "." + nodeId, true, false, false,
                Map.of("x-expires", QUEUE_EXPIRES_MILLIS));
        a.declareExchange(exchange);
        a.declareQueue(queue);
        Binding binding = BindingBuilder.bind(queue).to(exchange).with(nodeId);
        a.declareBinding(binding);
        return queue.getName();
    }

    private synchronized RabbitAdmin admin() {
        if (admin == null) {
            admin = new RabbitAdmin(connectionFactory.getObject());
        }
        return admin;
    }

    private synchronized AmqpOutboundEndpoint outbound() {
        if (outbound == null) {
            RabbitTemplate template = new RabbitTemplate(connectionFactory.getObject());
            template.setMessageConverter(new StepRequestConverter());
            AmqpOutboundEndpoint endpoint = new AmqpOutboundEndpoint(template);
            endpoint.setExchangeName(properties.exchange());
            endpoint.setRoutingKeyExpression(new SpelExpressionParser()
                    .parseExpression("headers['" + WORKER_HEADER + "']"));
            endpoint.setConfirmCorrelationExpression(new SpelExpressionParser().parseExpression("headers['id']"));
            endpoint.setWaitForConfirm(true);
            endpoint.setConfirmTimeout(properties.confirmTimeout().toMillis());
            endpoint.setBeanFactory(beanFactory);
            endpoint.afterPropertiesSet();
            outbound = endpoint;
        }
        return outbound;
    }
}

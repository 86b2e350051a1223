package dev.tropism.jobs;

import java.nio.charset.StandardCharsets;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.support.converter.MessageConversionException;
import org.springframework.amqp.support.converter.MessageConverter;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Spring Batch's {@link StepExecutionRequest} as a small persistent JSON message
 * ({@code {"step_name":"train","step_execution_id":42}}) rather than a Java-serialized object, so a worker never
 * deserializes classes from the broker.
 */
final class StepRequestConverter implements MessageConverter {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public Message toMessage(Object object, MessageProperties properties) {
        if (!(object instanceof StepExecutionRequest request)) {
            throw new MessageConversionException("only step execution requests travel here, got " + object);
        }
        properties.setContentType(MessageProperties.CONTENT_TYPE_JSON);
        properties.setContentEncoding(StandardCharsets.UTF_8.name());
        properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
        String body = JSON.createObjectNode().put("step_name", request.getStepName())
                .put("step_execution_id", request.getStepExecutionId()).toString();
        return new Message(body.getBytes(StandardCharsets.UTF_8), properties);
    }

    @Override
    public Object fromMessage(Message message) {
        try {
            JsonNode node = JSON.readTree(new String(message.getBody(), StandardCharsets.UTF_8));
            if (!node.path("step_name").isString() || !node.path("step_execution_id").canConvertToLong()) {
                throw new MessageConversionException("not a step execution request: " + node);
            }
            return new StepExecutionRequest(node.get("step_name").stringValue(), node.get("step_execution_id").longValue());
        } catch (RuntimeException e) {
            throw e instanceof MessageConversionException m ? m
                    : new MessageConversionException("unreadable step execution request", e);
        }
    }
}

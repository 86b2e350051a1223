package dev.tropism.teams;

import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.stereotype.Component;

/**
 * Shows each operation's {@link RequiresScope} in the OpenAPI document: the extension {@code x-required-scope}
 * (the wire name) and a line of the description, so that clients and the scope-coverage test read the same source
 * as the interceptor.
 */
@Component
class ScopeOpenApi implements OperationCustomizer {

    static final String EXTENSION = "x-required-scope";

    @Override
    public io.swagger.v3.oas.models.Operation customize(io.swagger.v3.oas.models.Operation operation,
            org.springframework.web.method.HandlerMethod handler) {
        ScopeCheck.required(handler).ifPresent(scope -> {
            operation.addExtension(EXTENSION, scope.wire());
            String line = scope == Scope.OPERATOR ? "Requires the admin key (scope `operator`)."
                    : scope == Scope.AUTHENTICATED ? "Requires any valid API key."
                    : "Requires scope `" + scope.wire() + "`.";
            operation.setDescription(operation.getDescription() == null || operation.getDescription().isBlank() ? line
                    : operation.getDescription() + "\n\n" + line);
        });
        return operation;
    }
}

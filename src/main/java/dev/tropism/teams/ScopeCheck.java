package dev.tropism.teams;

import java.util.Optional;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.method.HandlerMethod;

/**
 * Enforces {@link RequiresScope}: the method's annotation, else its controller class's. A {@code /v1/**} operation
 * with neither is refused to every key, the admin key included (deny by default: a forgotten annotation fails
 * loudly in the first test that calls it, instead of opening the operation to every key).
 */
final class ScopeCheck {

    private ScopeCheck() {
    }

    /** The scope {@code handler} declares, if any. */
    static Optional<Scope> required(HandlerMethod handler) {
        RequiresScope onMethod = AnnotatedElementUtils.findMergedAnnotation(handler.getMethod(), RequiresScope.class);
        if (onMethod != null) {
            return Optional.of(onMethod.value());
        }
        return Optional.ofNullable(AnnotatedElementUtils.findMergedAnnotation(handler.getBeanType(), RequiresScope.class))
                .map(RequiresScope::value);
    }

    /** Throws 403 {@code missing_scope} unless {@code caller} may call {@code handler} ({@code method path}). */
    static void enforce(Caller caller, HandlerMethod handler, String method, String path) {
        Optional<Scope> required = required(handler);
        if (required.isEmpty()) {
            throw new MissingScopeException(null, "The operation " + method + " " + path
                    + " declares no scope, so it is refused to every key (deny by default).");
        }
        Scope scope = required.get();
        if (caller.has(scope)) {
            return;
        }
        throw new MissingScopeException(scope, scope == Scope.OPERATOR
                ? "This operation needs the scope 'operator': only the admin key holds it."
                : "This operation needs the scope '" + scope.wire() + "', which this API key does not hold. A key "
                        + "with team:admin (or the admin key) can create one with it: POST /v1/teams/{team_id}/api-keys.");
    }
}

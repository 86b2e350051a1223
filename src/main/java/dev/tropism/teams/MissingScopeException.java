package dev.tropism.teams;

import dev.tropism.web.ApiException;
import org.springframework.http.HttpStatus;

/**
 * 403 {@code missing_scope}: the key lacks the scope the operation declares, named in the problem's extension member
 * {@code scope}; or the operation declares none ({@link #scope()} null, no {@code scope} member) and is refused to
 * every key. An {@link ApiException}, so that the OpenAI-compatible routes answer it in their own error shape
 * ({@code permission_error}, code {@code missing_scope}) like their other authentication errors.
 */
class MissingScopeException extends ApiException {

    private final Scope scope;

    MissingScopeException(Scope scope, String detail) {
        super(HttpStatus.FORBIDDEN, "missing_scope", detail);
        this.scope = scope;
        if (scope != null) {
            with("scope", scope.wire());
        }
    }

    Scope scope() {
        return scope;
    }
}

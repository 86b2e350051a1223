package dev.tropism.teams;

/**
 * 403 {@code missing_scope}: the key lacks the scope the operation declares ({@link #scope()}), or the operation
 * declares none ({@link #scope()} null) and is refused to every key. Rendered by {@link TeamsProblemAdvice} with the
 * extension member {@code scope}.
 */
class MissingScopeException extends RuntimeException {

    private final Scope scope;

    MissingScopeException(Scope scope, String detail) {
        super(detail);
        this.scope = scope;
    }

    Scope scope() {
        return scope;
    }
}

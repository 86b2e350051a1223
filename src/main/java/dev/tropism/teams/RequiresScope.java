package dev.tropism.teams;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The scope a {@code /v1/**} operation needs. On a controller method, or on its class for every method without
 * one of its own. A call whose key lacks it answers 403 {@code missing_scope} naming the scope; a handler without
 * one is refused (deny by default).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RequiresScope {

    Scope value();
}

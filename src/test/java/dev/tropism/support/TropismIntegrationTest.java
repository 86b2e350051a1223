package dev.tropism.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ContextConfiguration;

/**
 * A full application on a random port against its own fresh PostgreSQL database (Testcontainers
 * when Docker is available, else a {@code tropism_t_*} database created on 127.0.0.1:5432 and dropped
 * when the context closes), a fresh temporary {@code tropism.data-dir}, admin key
 * {@value TropismTestClient#ADMIN_KEY}, webhooks allowed to 127.0.0.1 only, and a {@link TropismTestClient}
 * bean to autowire.
 *
 * <p>Add properties with {@code @TestPropertySource(properties = ...)} on the test class (a new
 * context, hence a new database, per distinct configuration).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"tropism.admin-key=" + TropismTestClient.ADMIN_KEY,
                // Spring keeps every distinct test context (and its pool) open for reuse: small pools keep
                // the whole suite well under PostgreSQL's default 100 connections.
                "spring.datasource.hikari.maximum-pool-size=6", "spring.datasource.hikari.minimum-idle=1",
                // webhook graders in API tests call scorer servers the tests start on loopback
                "tropism.webhooks.allowed-hosts=127.0.0.1"})
@ContextConfiguration(initializers = TestDatabaseInitializer.class)
@Import(TropismTestClient.class)
public @interface TropismIntegrationTest {
}

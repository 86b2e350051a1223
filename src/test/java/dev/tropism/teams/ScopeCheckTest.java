package dev.tropism.teams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.web.method.HandlerMethod;

class ScopeCheckTest {

    static class Undeclared {
        void op() {
        }
    }

    @RequiresScope(Scope.JOBS_READ)
    static class ReadByDefault {
        void read() {
        }

        @RequiresScope(Scope.JOBS_WRITE)
        void write() {
        }
    }

    static final Caller ADMIN = new Caller(null, "admin", true);

    static HandlerMethod handler(Object bean, String method) throws NoSuchMethodException {
        return new HandlerMethod(bean, bean.getClass().getDeclaredMethod(method));
    }

    static Caller key(Set<Scope> scopes) {
        return new Caller("team_1", "key_1", false, scopes);
    }

    @Test
    void anOperationWithoutAScopeIsRefusedToEveryKeyTheAdminKeyIncluded() throws Exception {
        HandlerMethod op = handler(new Undeclared(), "op");
        assertThat(ScopeCheck.required(op)).isEmpty();
        for (Caller caller : new Caller[] {ADMIN, key(Scope.TEAM_SCOPES)}) {
            assertThatThrownBy(() -> ScopeCheck.enforce(caller, op, "GET", "/v1/x"))
                    .isInstanceOfSatisfying(MissingScopeException.class, e -> {
                        assertThat(e.scope()).isNull();
                        assertThat(e.getMessage()).contains("GET /v1/x", "declares no scope", "deny by default");
                    });
        }
    }

    @Test
    void theMethodsScopeWinsOverItsClasss() throws Exception {
        HandlerMethod read = handler(new ReadByDefault(), "read");
        HandlerMethod write = handler(new ReadByDefault(), "write");
        assertThat(ScopeCheck.required(read)).contains(Scope.JOBS_READ);
        assertThat(ScopeCheck.required(write)).contains(Scope.JOBS_WRITE);

        Caller reader = key(EnumSet.of(Scope.JOBS_READ));
        assertThatCode(() -> ScopeCheck.enforce(reader, read, "GET", "/v1/jobs")).doesNotThrowAnyException();
        assertThatThrownBy(() -> ScopeCheck.enforce(reader, write, "POST", "/v1/jobs"))
                .isInstanceOfSatisfying(MissingScopeException.class, e -> {
                    assertThat(e.scope()).isEqualTo(Scope.JOBS_WRITE);
                    assertThat(e.getMessage()).contains("'jobs:write'");
                });
        Caller writer = key(EnumSet.of(Scope.JOBS_WRITE));
        assertThatCode(() -> ScopeCheck.enforce(writer, read, "GET", "/v1/jobs")).as("write implies read")
                .doesNotThrowAnyException();
        assertThatCode(() -> ScopeCheck.enforce(ADMIN, write, "POST", "/v1/jobs")).doesNotThrowAnyException();
    }

    @Test
    void aKeyWithNoScopesIsRefusedEverythingScoped() throws Exception {
        HandlerMethod read = handler(new ReadByDefault(), "read");
        assertThatThrownBy(() -> ScopeCheck.enforce(key(Set.of()), read, "GET", "/v1/jobs"))
                .isInstanceOf(MissingScopeException.class);
    }
}

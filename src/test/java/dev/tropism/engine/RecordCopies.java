package dev.tropism.engine;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/** Test helper: a copy of a config record with one component replaced, through its canonical constructor. */
public final class RecordCopies {

    private RecordCopies() {
    }

    @SuppressWarnings("unchecked")
    public static <R extends Record> R with(R base, String component, Object value) {
        try {
            RecordComponent[] comps = base.getClass().getRecordComponents();
            Object[] args = new Object[comps.length];
            boolean found = false;
            for (int i = 0; i < comps.length; i++) {
                if (comps[i].getName().equals(component)) {
                    args[i] = value;
                    found = true;
                } else {
                    args[i] = comps[i].getAccessor().invoke(base);
                }
            }
            if (!found) {
                throw new IllegalArgumentException("no component " + component);
            }
            Constructor<?> ctor = base.getClass().getDeclaredConstructor(
                    Arrays.stream(comps).map(RecordComponent::getType).toArray(Class<?>[]::new));
            return (R) ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.dydet.djl;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Registers {@link DydetModelZoo} with DJL (META-INF/services/ai.djl.repository.zoo.ZooProvider). */
public final class DydetZooProvider implements ZooProvider {
    @Override
    public ModelZoo getModelZoo() {
        return new DydetModelZoo();
    }
}

// Placeholder until this target's code lands.

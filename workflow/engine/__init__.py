"""The state-machine engine: definitions as data run by `transitions`, the shared door that fires
an event (404/409/403/422 in one order), step data parsing and the state diagram. No database."""

"""Acts: decrees and delibere with their opinions and signatures, documents, the registers
(Repertorio Generale, Protocollo, Albo) and the public Albo pretorio online."""

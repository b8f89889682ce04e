"""The protocol register (DPR 445/2000 artt. 53-57; AgID Linee guida 2021): incoming and outgoing
registrations with their correspondents, classification and documents' fingerprints, annulment
(art. 54), the segnatura di protocollo (art. 55; AgID annex on AOO interoperability) and the
fascicolo that gathers acts, procedure steps and registrations.

The numbers are the shared protocol series of workflow/acts/registers.py: a registration is the
detail of one `register_entries` row of the register "protocollo", written in the same transaction.
"""

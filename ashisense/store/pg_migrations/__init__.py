"""The PostgreSQL session store's schema as versioned SQL files `NNNN_name.sql` (package data),
applied in order by ashisense.store.pgschema."""

// Lower fast-check's default run count for the mutation run (the property specs read it; a normal run uses 150).
require('fast-check').configureGlobal({ numRuns: 10 });

-- The starting registry of 0002 is now a CSV (specialists/seed_registry.csv), imported through
-- the registry's own import (`python -m specialists.seed`) for local runs and tests. Its rows
-- go where nothing was allocated to them; a database that used them keeps them.
DELETE FROM specialists s
WHERE s.id IN ('5b1c0c4e-0000-4000-8000-000000000001', '5b1c0c4e-0000-4000-8000-000000000002',
               '5b1c0c4e-0000-4000-8000-000000000003', '5b1c0c4e-0000-4000-8000-000000000004',
               '5b1c0c4e-0000-4000-8000-000000000005', '5b1c0c4e-0000-4000-8000-000000000006',
               '5b1c0c4e-0000-4000-8000-000000000007',
               md5('5b1c0c4e-0000-4000-8000-000000000005:vision_impairment_teaching')::uuid,
               md5('5b1c0c4e-0000-4000-8000-000000000005:multi_sensory_impairment_teaching')::uuid)
  AND NOT EXISTS (SELECT 1 FROM allocations a WHERE a.specialist_id = s.id);

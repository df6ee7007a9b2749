-- A starting registry for local runs and tests: Leeds (E08000035) and Bradford (E08000032).
-- Councils load their own registry; these rows are safe to remove.

INSERT INTO specialists (id, display_name, specialism, local_authority, districts, capacity) VALUES
 ('5b1c0c4e-0000-4000-8000-000000000001', 'Leeds North SLT team', 'speech_and_language_therapy', 'E08000035', '{LS6,LS7,LS16,LS17}', 400),
 ('5b1c0c4e-0000-4000-8000-000000000002', 'Leeds South SLT team', 'speech_and_language_therapy', 'E08000035', '{LS10,LS11,LS12}', 400),
 ('5b1c0c4e-0000-4000-8000-000000000003', 'Leeds educational psychology', 'educational_psychology', 'E08000035', '{LS1,LS2,LS6,LS9}', 400),
 ('5b1c0c4e-0000-4000-8000-000000000004', 'Leeds children''s OT', 'occupational_therapy', 'E08000035', '{LS6,LS11}', 200),
 ('5b1c0c4e-0000-4000-8000-000000000005', 'Leeds sensory service', 'sensory_support', 'E08000035', '{LS1,LS6,LS10}', 200),
 ('5b1c0c4e-0000-4000-8000-000000000006', 'Bradford SLT team', 'speech_and_language_therapy', 'E08000032', '{BD1,BD3,BD5}', 300),
 ('5b1c0c4e-0000-4000-8000-000000000007', 'Bradford educational psychology', 'educational_psychology', 'E08000032', '{BD1,BD7}', 300);

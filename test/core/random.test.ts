import { test, expect } from 'vitest';
import { philox4x32 } from '../../src/core/random.js';
test('philox known answer', () => {
  // Random123 KAT: philox4x32_10 with ctr=0, key=0
  expect(philox4x32(0,0,0,0,0,0).map(x=>x.toString(16))).toEqual(['6627e8d5','e169c58d','bc57ac4c','9b00dbd8']);
  expect(philox4x32(0xffffffff,0xffffffff,0xffffffff,0xffffffff,0xffffffff,0xffffffff).map(x=>x.toString(16))).toEqual(['408f276d','41c83b0e','a20bc7c6','6d5451fd']);
});

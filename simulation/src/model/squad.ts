import type { Rng } from './rng';

export type Position = 'GK' | 'DF' | 'MF' | 'FW';
export type TeamId = 1 | 2;

export interface Player {
  /** e.g. `m12-t1-p7`: match 12, team 1, shirt 7. */
  id: string;
  name: string;
  shirt: number;
  position: Position;
}

export interface Squad {
  teamId: TeamId;
  starters: Player[];
  bench: Player[];
}

const STARTING_SHAPE: Position[] = ['GK', 'DF', 'DF', 'DF', 'DF', 'MF', 'MF', 'MF', 'MF', 'FW', 'FW'];
const BENCH_SHAPE: Position[] = ['GK', 'DF', 'DF', 'MF', 'MF', 'FW', 'FW'];

const FIRST = ['Alex', 'Ben', 'Carlos', 'Dani', 'Eli', 'Femi', 'Gio', 'Hugo', 'Ivan', 'Jon', 'Kai', 'Luca'];
const LAST = [
  'Silva',
  'Moreno',
  'Okafor',
  'Berg',
  'Costa',
  'Novak',
  'Reyes',
  'Walsh',
  'Kim',
  'Diallo',
  'Rossi',
];

/** 11 starters (4-4-2) and 7 substitutes; shirt numbers 1–18, ids `m<match>-t<team>-p<shirt>`. */
export function buildSquad(rng: Rng, matchIndex: number, teamId: TeamId): Squad {
  const make = (position: Position, shirt: number): Player => ({
    id: `m${matchIndex}-t${teamId}-p${shirt}`,
    name: `${rng.pick(FIRST)} ${rng.pick(LAST)}`,
    shirt,
    position,
  });
  const starters = STARTING_SHAPE.map((position, i) => make(position, i + 1));
  const bench = BENCH_SHAPE.map((position, i) => make(position, STARTING_SHAPE.length + i + 1));
  return { teamId, starters, bench };
}

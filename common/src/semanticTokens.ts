/** Semantic token legend; the same ids are declared (with their superType) in package.json. */
export const SEMANTIC_TOKEN_TYPES = [
  'bioChemical',
  'bioDisease',
  'bioGene',
  'bioProtein',
  'bioSpecies',
  'bioAnatomy',
  'bioCellLine',
  'bioCellType',
  'bioDna',
  'bioRna',
  'bioEntity',
  'bioTag',
  'bioOutside',
] as const;

export type SemanticTokenType = (typeof SEMANTIC_TOKEN_TYPES)[number];

export const SEMANTIC_TOKEN_MODIFIERS = ['begin', 'predicted', 'lowConfidence'] as const;

/** Entity class names as corpora spell them (lower-cased, separators removed) → token type. */
const ENTITY_CLASS_TOKEN: Record<string, SemanticTokenType> = {
  chemical: 'bioChemical',
  chem: 'bioChemical',
  drug: 'bioChemical',
  disease: 'bioDisease',
  dis: 'bioDisease',
  gene: 'bioGene',
  geneorgeneproduct: 'bioGene',
  ggp: 'bioGene',
  protein: 'bioProtein',
  species: 'bioSpecies',
  organism: 'bioSpecies',
  anatomy: 'bioAnatomy',
  cellline: 'bioCellLine',
  celltype: 'bioCellType',
  dna: 'bioDna',
  rna: 'bioRna',
};

/** The token type that colours an entity of the given type; unknown types share `bioEntity`. */
export function tokenTypeForEntity(entityType: string): SemanticTokenType {
  return ENTITY_CLASS_TOKEN[entityType.toLowerCase().replace(/[^a-z]/g, '')] ?? 'bioEntity';
}

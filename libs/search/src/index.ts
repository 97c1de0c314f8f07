export {
  FilterSyntaxError,
  parseOrderKey,
  parseRunFilter,
  type OrderKey,
  type Comparator,
  type Comparison,
  type Entity,
  type FilterValue,
  type RunFilter,
} from './run-filter';
export { BoundParams, FilterMeaningError, renderRunFilter } from './filter-sql';

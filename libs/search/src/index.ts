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
export { BoundParams, FilterMeaningError, floatParam, renderRunFilter } from './filter-sql';

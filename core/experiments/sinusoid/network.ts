/** The seed's regression network: DenseVariational(20, relu) → DenseVariational(20, relu) → DenseVariational(1). */
export { variationalMlp as sinusoidNetwork } from '../../models/variationalMlp';

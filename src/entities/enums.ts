export enum Network {
  ETHEREUM = 'ETHEREUM',
  TRON = 'TRON',
}

export enum AssetPurpose {
  PAYMENT = 'PAYMENT',
  DISTRIBUTION = 'DISTRIBUTION',
}

export enum WalletStatus {
  AVAILABLE = 'AVAILABLE',
  ALLOCATED = 'ALLOCATED',
  COOLING_DOWN = 'COOLING_DOWN',
  DISABLED = 'DISABLED',
}

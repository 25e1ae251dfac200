import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin@keyward.local', maxLength: 254 })
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  email: string;

  @ApiProperty({ writeOnly: true, maxLength: 128 })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password: string;
}

export class AccessTokenResponseDto {
  @ApiProperty() accessToken: string;
  @ApiProperty({ example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires', example: 900 }) expiresIn: number;
}

export class MeResponseDto {
  @ApiProperty({ enum: ['user', 'key'] }) type: 'user' | 'key';
  @ApiProperty({ format: 'uuid', description: 'User id, or key id for an API key' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ required: false }) email?: string;
  @ApiProperty({ required: false, format: 'uuid', description: "For a key: its owner's user id" }) ownerId?: string;
  @ApiProperty({ type: [String] }) roles: string[];
  @ApiProperty({ type: [String] }) permissions: string[];
}
